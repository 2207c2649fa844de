import { afterEach, describe, expect, it } from 'vitest';
import type { OperationsJob } from '../../lambdas/app/operations-jobs.ts';
import type { JobName } from '../../lambdas/config/schedules.ts';
import { type LocalScheduler, startLocalScheduler } from '../../scripts/local-stack/local-scheduler.ts';
import { StackHarness } from '../support/local-stack-harness.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, timeoutMs: number): Promise<void> {
  for (const end = Date.now() + timeoutMs; !check(); await sleep(50)) {
    if (Date.now() > end) throw new Error('timed out');
  }
}

describe('local scheduler', () => {
  let scheduler: LocalScheduler | undefined;
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await scheduler?.stop();
    await harness?.dispose();
    scheduler = undefined;
    harness = undefined;
  });

  it('fires a job on its rate, each firing as its own invocation, and stops firing when stopped', async () => {
    // Prepare
    const holders: string[] = [];
    const job: OperationsJob = async (holder) => {
      holders.push(holder);
      return { ran: true, fence: holders.length, result: undefined };
    };
    const idle: OperationsJob = async () => ({ ran: false });
    const jobs = { 'repository-sync': idle, 'health-check': job } satisfies Record<JobName, OperationsJob>;

    // Act
    scheduler = startLocalScheduler({ jobs, expressions: { 'health-check': 'rate(1 second)' } });
    await until(() => holders.length >= 3, 6000);
    await scheduler.stop();
    const afterStop = holders.length;
    await sleep(2500);

    // Assess
    expect(new Set(holders).size).toBe(holders.length);
    expect(holders.every((h) => h.startsWith('local-health-check-'))).toBe(true);
    expect(holders.length).toBe(afterStop);
    expect(scheduler.started['repository-sync']).toBe(0);
  });

  it('runs with the local stack on the schedule it is given, and stops with it', async () => {
    // Prepare
    harness = await StackHarness.start({
      LOCAL_JOB_SCHEDULES: JSON.stringify({ 'health-check': 'rate(1 second)' }),
    });
    const { scheduler: stackScheduler } = harness.stack;

    // Act
    await until(() => stackScheduler.started['health-check'] >= 2, 10_000);
    const locks = await harness.scan('sessions');
    await harness.stack.stop();
    const afterStop = stackScheduler.started['health-check'];
    await sleep(2500);

    // Assess: the job took its lease lock (and released it) on each run
    expect(locks).toContainEqual(expect.objectContaining({ pk: 'LOCK#job:health-check', sk: 'LEASE' }));
    expect(stackScheduler.started['health-check']).toBe(afterStop);
  });
});
