import {
  ConditionFailedError,
  type Item,
  type ItemKey,
  type KeyValueStore,
  type PutOptions,
  type QueryOptions,
  type QueryPage,
  type TableName,
} from '../../lambdas/ports/key-value-store.ts';

/** A clock in epoch seconds that only moves when a test moves it. */
export class ManualClock {
  constructor(private seconds = 1_700_000_000) {}

  now = (): number => this.seconds;

  advance(seconds: number): void {
    this.seconds += seconds;
  }
}

export interface MemoryStoreOptions {
  /** Epoch seconds; decides which items have expired. */
  now?: () => number;
}

/**
 * In-memory KeyValueStore with the port's semantics, for unit tests: an item whose `expiresAt`
 * has passed is absent for every operation (read, query, `ifAbsent`, `ifVersion`, increment), a
 * failed condition throws ConditionFailedError, items are copied in and out (no shared references),
 * sort keys are ordered by their UTF-8 bytes as DynamoDB orders them, and undefined attributes are
 * dropped as the DynamoDB adapter drops them. Every operation completes in one synchronous step,
 * so concurrent conditional writes race exactly as they do against one DynamoDB item.
 * tests/integration/key-value-store-contract.test.ts runs the same suite against this and DynamoDbStore.
 */
export class MemoryStore implements KeyValueStore {
  private readonly tables = new Map<TableName, Map<string, Item>>();
  private readonly now: () => number;

  constructor(options: MemoryStoreOptions = {}) {
    this.now = options.now ?? (() => Math.floor(Date.now() / 1000));
  }

  async get(table: TableName, key: ItemKey): Promise<Item | undefined> {
    const item = this.liveItem(table, key);
    return item ? copy(item) : undefined;
  }

  async put(table: TableName, item: Item, options: PutOptions = {}): Promise<void> {
    assertKey(item);
    const existing = this.liveItem(table, item);
    const absentFails = options.ifAbsent === true && existing !== undefined;
    const versionFails = options.ifVersion !== undefined && existing?.version !== options.ifVersion;
    if (absentFails || versionFails) throw new ConditionFailedError(table, { pk: item.pk, sk: item.sk });
    this.table(table).set(storageKey(item), copy(item));
  }

  async delete(table: TableName, key: ItemKey): Promise<void> {
    assertKey(key);
    this.table(table).delete(storageKey(key));
  }

  async query(table: TableName, pk: string, options: QueryOptions = {}): Promise<QueryPage> {
    const prefix = options.skBeginsWith;
    const matching = [...this.table(table).values()]
      .filter((item) => item.pk === pk && (prefix === undefined || item.sk.startsWith(prefix)))
      .filter((item) => this.isLive(item))
      .sort((a, b) => Buffer.compare(Buffer.from(a.sk), Buffer.from(b.sk)) * (options.descending ? -1 : 1));
    const after = options.cursor === undefined ? undefined : decodeCursor(options.cursor);
    const start = after === undefined ? 0 : matching.findIndex((item) => isPast(item.sk, after, options));
    const remaining = start < 0 ? [] : matching.slice(start);
    const limit = options.limit && options.limit > 0 ? options.limit : remaining.length;
    const items = remaining.slice(0, limit);
    const last = items.at(-1);
    return {
      items: items.map(copy),
      ...(last && remaining.length > items.length ? { cursor: encodeCursor(last.sk) } : {}),
    };
  }

  async increment(table: TableName, key: ItemKey, deltas: Record<string, number>): Promise<void> {
    assertKey(key);
    if (Object.keys(deltas).length === 0) return;
    const next: Item = copy(this.liveItem(table, key) ?? { pk: key.pk, sk: key.sk });
    for (const [attribute, delta] of Object.entries(deltas)) {
      const current = next[attribute] ?? 0;
      if (typeof current !== 'number') {
        throw new TypeError(`Cannot increment ${attribute}: it holds a ${typeof current}, not a number`);
      }
      next[attribute] = current + delta;
    }
    this.table(table).set(storageKey(key), next);
  }

  /** Every stored item of a table, expired ones included, for tests that inspect the raw state. */
  dump(table: TableName): Item[] {
    return [...this.table(table).values()].map(copy);
  }

  /** How many items (expired ones included) all tables hold together. */
  size(): number {
    let total = 0;
    for (const items of this.tables.values()) total += items.size;
    return total;
  }

  private liveItem(table: TableName, key: ItemKey): Item | undefined {
    const item = this.table(table).get(storageKey(key));
    return item && this.isLive(item) ? item : undefined;
  }

  private isLive(item: Item): boolean {
    return typeof item.expiresAt !== 'number' || item.expiresAt >= this.now();
  }

  private table(name: TableName): Map<string, Item> {
    let items = this.tables.get(name);
    if (!items) {
      items = new Map();
      this.tables.set(name, items);
    }
    return items;
  }
}

function storageKey(key: ItemKey): string {
  return JSON.stringify([key.pk, key.sk]);
}

/** DynamoDB refuses empty or non-string key attributes; so does the fake. */
function assertKey(key: ItemKey): void {
  for (const name of ['pk', 'sk'] as const) {
    const value: unknown = key[name];
    if (typeof value !== 'string' || value.length === 0) {
      throw new TypeError(`Key attribute ${name} must be a non-empty string`);
    }
  }
}

/** A deep copy without undefined attributes, as an item looks after a DynamoDB round trip. */
function copy<T>(item: T): T {
  return JSON.parse(JSON.stringify(item)) as T;
}

function isPast(sk: string, cursorSk: string, options: QueryOptions): boolean {
  const order = Buffer.compare(Buffer.from(sk), Buffer.from(cursorSk));
  return options.descending ? order < 0 : order > 0;
}

function encodeCursor(sk: string): string {
  return Buffer.from(JSON.stringify({ sk })).toString('base64url');
}

function decodeCursor(cursor: string): string {
  const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as { sk?: unknown };
  if (typeof parsed.sk !== 'string') throw new TypeError('Not a cursor of this store');
  return parsed.sk;
}
