import { randomUUID } from 'node:crypto';
import { beforeEach, describe, expect, it } from 'vitest';
import { runExclusively } from '../../lambdas/domain/operations/exclusive-job.ts';
import { FencedRecords, StaleFenceError } from '../../lambdas/domain/operations/fenced-records.ts';
import { type Lease, LeaseLock, LeaseLostError } from '../../lambdas/domain/operations/lease-lock.ts';
import type { KeyValueStore } from '../../lambdas/ports/key-value-store.ts';

/** A clock in epoch ms that only moves when the test moves it. */
class MsClock {
  ms = 1_800_000_000_000;
  now = (): number => this.ms;
}

const LEASE_MS = 30_000;

/**
 * The lease lock, fenced records and exclusive jobs over one KeyValueStore: the unit suite runs it
 * on MemoryStore, the integration suite on DynamoDbStore against dynalite too.
 */
export function leaseLockSuite(name: string, store: () => KeyValueStore, rounds: number): void {
  describe(`LeaseLock on ${name}`, () => {
    let clock: MsClock;
    let lock: LeaseLock;
    let lockName: string;

    beforeEach(() => {
      clock = new MsClock();
      lock = new LeaseLock(store(), { now: clock.now });
      lockName = `test-${randomUUID()}`;
    });

    it(`never has two holders in ${rounds} rounds of five concurrent acquirers`, async () => {
      // Prepare
      const live: Lease[] = [];
      let lastFence = 0;

      for (let round = 0; round < rounds; round++) {
        // Each round the lease is left running, released, or allowed to expire.
        const current = live.at(-1);
        const move = round % 3;
        if (current && move === 1) {
          await lock.release(current);
          current.expiresAt = clock.ms;
        }
        if (current && move === 2) clock.ms = current.expiresAt + 1;
        const stillHeld = current !== undefined && move === 0 && current.expiresAt > clock.ms;

        // Act
        const results = await Promise.all(
          Array.from({ length: 5 }, (_, i) => lock.acquire(lockName, `holder-${round}-${i}`, LEASE_MS)),
        );

        // Assess
        const winners = results.filter((r): r is Lease => r !== undefined);
        expect(winners).toHaveLength(stillHeld ? 0 : 1);
        for (const winner of winners) {
          expect(winner.fence).toBe(lastFence + 1);
          lastFence = winner.fence;
          live.push(winner);
        }
        // Every lease the test was handed that is neither released nor expired: at most one.
        const holders = live.filter((l) => l.expiresAt > clock.ms);
        expect(holders.length).toBeLessThanOrEqual(1);
        clock.ms += 1000;
      }
      expect(lastFence).toBeGreaterThan(rounds / 2);
    }, 120_000);

    it('lets another holder in once a holder that died has outlived its lease, not before', async () => {
      // Prepare
      const dead = await lock.acquire(lockName, 'dies', LEASE_MS);

      // Act
      clock.ms += LEASE_MS - 1;
      const early = await lock.acquire(lockName, 'next', LEASE_MS);
      clock.ms += 2;
      const late = await lock.acquire(lockName, 'next', LEASE_MS);

      // Assess
      expect(dead?.fence).toBe(1);
      expect(early).toBeUndefined();
      expect(late).toMatchObject({ holder: 'next', fence: 2 });
      await expect(lock.renew(dead as Lease, LEASE_MS)).rejects.toBeInstanceOf(LeaseLostError);
    });

    it('renews a lease it still holds, keeping its fence', async () => {
      // Prepare
      const lease = (await lock.acquire(lockName, 'a', LEASE_MS)) as Lease;
      clock.ms += LEASE_MS - 10;

      // Act
      const renewed = await lock.renew(lease, LEASE_MS);
      clock.ms += LEASE_MS - 10;

      // Assess
      expect(renewed.fence).toBe(lease.fence);
      expect(await lock.acquire(lockName, 'b', LEASE_MS)).toBeUndefined();
    });

    it("refuses a stale holder's write under its old fence once the next holder wrote", async () => {
      // Prepare
      const records = new FencedRecords(store());
      const key = { pk: `FENCED#${lockName}`, sk: 'RECORD' };
      const stale = (await lock.acquire(lockName, 'paused', LEASE_MS)) as Lease;
      await records.put(key, stale.fence, { by: 'paused', n: 1 });
      clock.ms += LEASE_MS + 1;
      const next = (await lock.acquire(lockName, 'next', LEASE_MS)) as Lease;
      await records.put(key, next.fence, { by: 'next', n: 2 });

      // Act
      const late = records.put(key, stale.fence, { by: 'paused', n: 3 });

      // Assess
      await expect(late).rejects.toBeInstanceOf(StaleFenceError);
      expect(await records.get(key)).toMatchObject({ by: 'next', n: 2, fence: next.fence });
    });

    it('lets exactly one of two overlapping invocations of a job do the work', async () => {
      // Prepare
      let inside = 0;
      let done = 0;
      const work = async () => {
        inside++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        done++;
        return 'synced';
      };
      const job = (holder: string) => ({ name: lockName, leaseMs: LEASE_MS, holder });

      // Act
      const runs = await Promise.all([
        runExclusively(lock, job('invocation-1'), work),
        runExclusively(lock, job('invocation-2'), work),
      ]);

      // Assess
      expect(inside).toBe(1);
      expect(done).toBe(1);
      expect(runs.filter((r) => r.ran)).toHaveLength(1);
      expect(runs.find((r) => !r.ran)).toMatchObject({
        ran: false,
        heldBy: expect.stringMatching(/^invocation-/),
      });
      // Released after the work: the next run goes ahead with the next fence.
      const after = await runExclusively(lock, job('invocation-3'), async () => 'again');
      expect(after).toMatchObject({ ran: true, fence: 2, result: 'again' });
    });
  });
}
