import type { Lease, LeaseLock } from './lease-lock.ts';

export type JobRun<T> =
  | { ran: true; fence: number; result: T }
  /** Another invocation holds the job's lock: this one did nothing. */
  | { ran: false; heldBy?: string };

/**
 * Runs `work` only while holding the job's lease lock: of two overlapping invocations of the same
 * job (two schedules firing, a retry while the first still runs) exactly one does the work; the
 * other returns at once. The lease outlasts the function's timeout, so a holder that dies frees
 * the job when its lease ends; the work writes under `lease.fence` (FencedRecords).
 */
export async function runExclusively<T>(
  lock: LeaseLock,
  job: { name: string; leaseMs: number; holder: string },
  work: (lease: Lease) => Promise<T>,
): Promise<JobRun<T>> {
  const lease = await lock.acquire(`job:${job.name}`, job.holder, job.leaseMs);
  if (!lease) {
    const holder = await lock.holderOf(`job:${job.name}`);
    return { ran: false, ...(holder ? { heldBy: holder.holder } : {}) };
  }
  try {
    return { ran: true, fence: lease.fence, result: await work(lease) };
  } finally {
    await lock.release(lease);
  }
}
