import {
  ConditionFailedError,
  type Item,
  type ItemKey,
  type KeyValueStore,
  type TableName,
} from '../../ports/key-value-store.ts';

/** A write under a fencing token lower than one the record already accepted. */
export class StaleFenceError extends Error {
  constructor(
    readonly key: ItemKey,
    readonly fence: number,
    readonly accepted: number,
  ) {
    super(`Write to ${key.pk}/${key.sk} under fence ${fence} refused: fence ${accepted} was accepted`);
    this.name = 'StaleFenceError';
  }
}

const MAX_CONFLICTS = 10;

/**
 * Records written under a lease (see LeaseLock): each keeps the highest fence it accepted and
 * refuses a write with a lower one, so a holder that lost its lease (paused, then woke up) cannot
 * overwrite what the next holder wrote. Read, compare, then a conditional write on the version;
 * a concurrent writer makes it read again.
 */
export class FencedRecords {
  constructor(
    private readonly store: KeyValueStore,
    private readonly table: TableName = 'projects',
  ) {}

  async get(key: ItemKey): Promise<Item | undefined> {
    return this.store.get(this.table, key);
  }

  /** Replaces the record's data; throws StaleFenceError when a higher fence was accepted. */
  async put(key: ItemKey, fence: number, data: Record<string, unknown>): Promise<void> {
    for (let conflicts = 0; ; conflicts++) {
      const current = await this.store.get(this.table, key);
      const accepted = Number(current?.fence ?? 0);
      if (accepted > fence) throw new StaleFenceError(key, fence, accepted);
      const version = current ? Number(current.version ?? 0) : undefined;
      try {
        await this.store.put(
          this.table,
          { ...data, ...key, fence, version: (version ?? 0) + 1 },
          version === undefined ? { ifAbsent: true } : { ifVersion: version },
        );
        return;
      } catch (error) {
        if (!(error instanceof ConditionFailedError) || conflicts >= MAX_CONFLICTS) throw error;
      }
    }
  }
}
