import { describe, expect, it } from 'vitest';
import { buildOperationsJobs } from '../../../lambdas/app/operations-jobs.ts';
import { RunRecords } from '../../../lambdas/domain/pipelines/run-records.ts';
import { ProjectRepository } from '../../../lambdas/domain/projects/project-repository.ts';
import type { OutgoingMessage } from '../../../lambdas/ports/queue.ts';
import type { Runtime } from '../../../lambdas/runtime/runtime.ts';
import type { Logger } from '../../../lambdas/shared/logger.ts';
import { MemoryStore } from '../../support/memory-store.ts';

const AT = '2026-12-01T00:00:00.000Z';

async function world() {
  const store = new MemoryStore();
  await new ProjectRepository(store).create({
    id: 'svc-1',
    ownerId: 7,
    name: 'svc',
    description: 'a service',
    status: 'deployed',
    secretKeys: [],
    createdAt: AT,
    updatedAt: AT,
  });
  await new RunRecords(store, 'devops').put({
    runName: 'dep-svc-1-1',
    runId: 'r',
    pipeline: 'devops',
    projectId: 'svc-1',
    ownerId: 7,
    chatId: 7,
    number: 1,
    startedAt: AT,
    outcome: 'succeeded',
    url: 'http://127.0.0.1:20001',
  });
  const sent: OutgoingMessage[] = [];
  const logger = {
    info: () => undefined,
    warn: () => undefined,
    error: () => undefined,
  } as unknown as Logger;
  const runtime = {
    store,
    logger,
    queue: { send: async (m: OutgoingMessage) => void sent.push(m) },
  } as unknown as Runtime;
  let probes = 0;
  const jobs = buildOperationsJobs(runtime, {
    probe: {
      get: async () => {
        probes++;
        await new Promise((resolve) => setTimeout(resolve, 50));
        throw new Error('ECONNREFUSED');
      },
    },
  });
  return { jobs, sent, probes: () => probes };
}

describe('operations jobs', () => {
  it('lets exactly one of two overlapping invocations of the health check do the work', async () => {
    // Prepare
    const w = await world();

    // Act
    const runs = await Promise.all([
      w.jobs['health-check']('request-1'),
      w.jobs['health-check']('request-2'),
    ]);

    // Assess
    expect(w.probes()).toBe(1);
    expect(runs.map((r) => r.ran).sort()).toEqual([false, true]);
    expect(runs.find((r) => !r.ran)).toEqual({ ran: false, heldBy: expect.stringMatching(/^request-/) });
  });

  it('runs again once the first run has finished, under the next fence, and tells the owner on the second failure', async () => {
    // Prepare
    const w = await world();

    // Act
    const first = await w.jobs['health-check']('request-1');
    const second = await w.jobs['health-check']('request-2');

    // Assess
    expect([first, second].map((r) => (r.ran ? r.fence : 0))).toEqual([1, 2]);
    expect(w.sent).toHaveLength(1);
    expect(JSON.parse(w.sent[0]?.body ?? '{}')).toMatchObject({
      pipelineEvent: { kind: 'unhealthy', projectId: 'svc-1', chatId: 7, sequence: 1 },
    });
  });

  it('skips the repository sync where no git host is configured', async () => {
    // Prepare
    const w = await world();

    // Act
    const run = await w.jobs['repository-sync']('request-1');

    // Assess
    expect(run).toEqual({ ran: true, fence: 1, result: { synced: [], failed: [] } });
  });
});
