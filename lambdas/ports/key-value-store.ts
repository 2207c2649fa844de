/**
 * Key-value store port. Every table has a string partition key `pk` and a string sort key `sk`;
 * items may carry `expiresAt` (epoch seconds). An item whose `expiresAt` has passed is ABSENT for
 * every operation here, whether or not the backing store has deleted it yet (DynamoDB deletes
 * expired items only within days; dynalite never does).
 */
export type TableName = 'users' | 'sessions' | 'dedup' | 'projects' | 'checkpoints' | 'usage';

export interface ItemKey {
  pk: string;
  sk: string;
}

export type Item = ItemKey & { expiresAt?: number } & Record<string, unknown>;

export interface PutOptions {
  /** Write only if no live item has this key (an expired one counts as absent). */
  ifAbsent?: boolean;
  /** Write only if the stored live item's `version` equals this number. */
  ifVersion?: number;
}

export interface QueryOptions {
  skBeginsWith?: string;
  limit?: number;
  descending?: boolean;
  /** Opaque cursor returned by a previous page. */
  cursor?: string;
}

export interface QueryPage {
  items: Item[];
  cursor?: string;
}

export interface KeyValueStore {
  get(table: TableName, key: ItemKey): Promise<Item | undefined>;
  /** @throws ConditionFailedError when a condition in `options` does not hold. */
  put(table: TableName, item: Item, options?: PutOptions): Promise<void>;
  delete(table: TableName, key: ItemKey): Promise<void>;
  query(table: TableName, pk: string, options?: QueryOptions): Promise<QueryPage>;
  /** Atomically adds the given numbers to the item's attributes, creating it if needed. */
  increment(table: TableName, key: ItemKey, deltas: Record<string, number>): Promise<void>;
}

export class ConditionFailedError extends Error {
  constructor(
    readonly table: TableName,
    readonly key: ItemKey,
  ) {
    super(`Condition failed on ${table} ${key.pk}/${key.sk}`);
    this.name = 'ConditionFailedError';
  }
}
