import { ConditionFailedError, type ItemKey, type KeyValueStore } from '../../ports/key-value-store.ts';

/** A lease on a named lock: who holds it, until when, and the fencing token of this acquisition. */
export interface Lease {
  name: string;
  holder: string;
  /** Grows by one with every acquisition of the lock: writes made under the lease carry it. */
  fence: number;
  /** Epoch ms. */
  expiresAt: number;
}

/** The lease was taken over (it expired and another holder acquired the lock) or released. */
export class LeaseLostError extends Error {
  constructor(readonly lease: Lease) {
    super(`Lease ${lease.name} (fence ${lease.fence}) of ${lease.holder} is lost`);
    this.name = 'LeaseLostError';
  }
}

/**
 * Lease locks in the store, one item per lock (`LOCK#<name>` / `LEASE` in the sessions table).
 * The item is never deleted and carries no `expiresAt`, so its fence only ever grows: a lease
 * that runs out is taken over by a conditional write on the item's version, and release only
 * ends the lease. Single-item conditional writes only (`ifAbsent` / `ifVersion`), so it works on
 * DynamoDB and dynalite alike; of concurrent acquirers exactly one write succeeds.
 */
export class LeaseLock {
  private readonly now: () => number;

  constructor(
    private readonly store: KeyValueStore,
    options: { now?: () => number } = {},
  ) {
    this.now = options.now ?? Date.now;
  }

  /** Takes the lock for `leaseMs` if it is free, expired or already this holder's; else undefined. */
  async acquire(name: string, holder: string, leaseMs: number): Promise<Lease | undefined> {
    const key = lockKey(name);
    const current = await this.store.get('sessions', key);
    const now = this.now();
    if (current && Number(current.leaseUntil) > now && current.holder !== holder) return undefined;
    const lease: Lease = { name, holder, fence: Number(current?.fence ?? 0) + 1, expiresAt: now + leaseMs };
    const written = await this.write(key, lease, current ? Number(current.version) : undefined);
    return written ? lease : undefined;
  }

  /** Extends a lease still held; throws LeaseLostError when it is not. */
  async renew(lease: Lease, leaseMs: number): Promise<Lease> {
    const key = lockKey(lease.name);
    const current = await this.store.get('sessions', key);
    const now = this.now();
    if (!current || current.fence !== lease.fence || Number(current.leaseUntil) <= now) {
      throw new LeaseLostError(lease);
    }
    const renewed = { ...lease, expiresAt: now + leaseMs };
    if (!(await this.write(key, renewed, Number(current.version)))) throw new LeaseLostError(lease);
    return renewed;
  }

  /** Ends the lease early (the fence stays); a lease already lost is left alone. */
  async release(lease: Lease): Promise<void> {
    const key = lockKey(lease.name);
    const current = await this.store.get('sessions', key);
    if (!current || current.fence !== lease.fence) return;
    await this.write(key, { ...lease, expiresAt: 0 }, Number(current.version));
  }

  /** The live lease, if any (for tests and diagnostics). */
  async holderOf(name: string): Promise<Lease | undefined> {
    const current = await this.store.get('sessions', lockKey(name));
    if (!current || Number(current.leaseUntil) <= this.now()) return undefined;
    return {
      name,
      holder: String(current.holder),
      fence: Number(current.fence),
      expiresAt: Number(current.leaseUntil),
    };
  }

  private async write(key: ItemKey, lease: Lease, version: number | undefined): Promise<boolean> {
    try {
      await this.store.put(
        'sessions',
        {
          ...key,
          holder: lease.holder,
          fence: lease.fence,
          leaseUntil: lease.expiresAt,
          version: (version ?? 0) + 1,
        },
        version === undefined ? { ifAbsent: true } : { ifVersion: version },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }
}

function lockKey(name: string): ItemKey {
  return { pk: `LOCK#${name}`, sk: 'LEASE' };
}
