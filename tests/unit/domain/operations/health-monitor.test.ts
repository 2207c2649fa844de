import { describe, expect, it } from 'vitest';
import { FencedRecords, StaleFenceError } from '../../../../lambdas/domain/operations/fenced-records.ts';
import { HealthMonitor } from '../../../../lambdas/domain/operations/health-monitor.ts';
import { notifyOwners } from '../../../../lambdas/domain/operations/health-notifier.ts';
import { OperationsRecords } from '../../../../lambdas/domain/operations/operations-records.ts';
import { RepositorySync } from '../../../../lambdas/domain/operations/repository-sync.ts';
import { parsePipelineEventBody } from '../../../../lambdas/domain/pipelines/pipeline-event.ts';
import { RunRecords } from '../../../../lambdas/domain/pipelines/run-records.ts';
import { ProjectRepository } from '../../../../lambdas/domain/projects/project-repository.ts';
import type { GitHost } from '../../../../lambdas/ports/git-host.ts';
import type { OutgoingMessage } from '../../../../lambdas/ports/queue.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const AT = '2026-12-01T00:00:00.000Z';

async function world() {
  const store = new MemoryStore();
  const projects = new ProjectRepository(store);
  const project = {
    id: 'weather-bot-abc123',
    ownerId: 1001,
    name: 'weather-bot',
    description: 'weather',
    status: 'deployed' as const,
    secretKeys: [],
    repository: { fullName: 'acme/weather-bot-abc123', htmlUrl: 'http://git/acme/weather-bot-abc123' },
    createdAt: AT,
    updatedAt: AT,
  };
  await projects.create(project);
  await projects.create({ ...project, id: 'draft-1', name: 'draft', status: 'draft' });
  const deploys = new RunRecords(store, 'devops');
  await deploys.put({
    runName: 'deploy-1',
    runId: 'r1',
    pipeline: 'devops',
    projectId: project.id,
    ownerId: 1001,
    chatId: 1001,
    number: 1,
    startedAt: AT,
    outcome: 'succeeded',
    url: 'http://127.0.0.1:4100',
  });
  const sent: OutgoingMessage[] = [];
  const answers: Array<number | Error> = [];
  const probed: string[] = [];
  const records = new FencedRecords(store);
  const monitor = new HealthMonitor({
    projects,
    deploys,
    records,
    probe: {
      get: async (url) => {
        probed.push(url);
        const answer = answers.shift() ?? 200;
        if (answer instanceof Error) throw answer;
        return { status: answer, body: '' };
      },
    },
  });
  notifyOwners(monitor, { send: async (m) => void sent.push(m) });
  const events = () => sent.map((m) => parsePipelineEventBody(JSON.parse(m.body)));
  return { store, project, projects, records, monitor, answers, probed, sent, events };
}

describe('HealthMonitor', () => {
  it('tells the owner once when the service fails twice in a row, and once when it is back', async () => {
    // Prepare
    const w = await world();
    w.answers.push(new Error('ECONNREFUSED'), new Error('ECONNREFUSED'), 502, 200, 200);

    // Act
    for (let fence = 1; fence <= 5; fence++) await w.monitor.checkAll(fence);

    // Assess
    expect(w.probed).toEqual(Array(5).fill('http://127.0.0.1:4100/health'));
    expect(w.events()).toEqual([
      expect.objectContaining({
        kind: 'unhealthy',
        pipeline: 'devops',
        projectId: w.project.id,
        chatId: 1001,
        url: 'http://127.0.0.1:4100',
        attempts: 2,
        sequence: 1,
        error: expect.stringContaining('ECONNREFUSED'),
      }),
      expect.objectContaining({ kind: 'recovered', sequence: 2, attempts: 0 }),
    ]);
    expect(new Set(w.sent.map((m) => m.deduplicationId)).size).toBe(2);
    expect((await new OperationsRecords(w.store).of(w.project.id)).health).toMatchObject({
      state: 'healthy',
      consecutiveFailures: 0,
      transitions: 2,
    });
  });

  it('records one failure without telling anybody', async () => {
    // Prepare
    const w = await world();
    w.answers.push(500);

    // Act
    const summary = await w.monitor.checkAll(1);

    // Assess
    expect(summary.checked).toEqual([{ projectId: w.project.id, state: 'healthy', consecutiveFailures: 1 }]);
    expect(w.sent).toEqual([]);
  });

  it('lets a run whose lease was taken over neither write nor tell', async () => {
    // Prepare: the next holder (fence 7) already checked
    const w = await world();
    await w.monitor.checkAll(7);
    w.answers.push(500, 500);

    // Act
    const stale = w.monitor.checkAll(6);

    // Assess
    await expect(stale).rejects.toBeInstanceOf(StaleFenceError);
    expect(w.sent).toEqual([]);
  });

  it('calls every onUnhealthy hook with the project and the deploy that serves', async () => {
    // Prepare
    const w = await world();
    const seen: string[] = [];
    w.monitor.onUnhealthy(
      async (t) => void seen.push(`${t.project.name} ${t.deploy.runName} ${t.health.state}`),
    );
    w.answers.push(500, 500);

    // Act
    await w.monitor.checkAll(1);
    await w.monitor.checkAll(2);

    // Assess
    expect(seen).toEqual(['weather-bot deploy-1 unhealthy']);
  });
});

describe('RepositorySync', () => {
  it('records the default-branch head and open pull requests with checks on each project', async () => {
    // Prepare
    const w = await world();
    const gitHost = {
      defaultBranchHead: async () => ({
        branch: 'main',
        commit: 'c0ffee',
        message: 'Scaffold',
        committedAt: AT,
      }),
      openPullRequests: async (name: string) => [
        {
          number: 2,
          title: `Change of ${name}`,
          htmlUrl: 'http://pr/2',
          head: 'change-2',
          base: 'main',
          headCommit: 'beef',
          checks: 'failure' as const,
        },
      ],
    } as unknown as GitHost;

    // Act
    const summary = await new RepositorySync({ projects: w.projects, gitHost, records: w.records }).syncAll(
      1,
    );

    // Assess
    expect(summary).toEqual({ synced: [w.project.id, 'draft-1'].sort(), failed: [] });
    const { repository } = await new OperationsRecords(w.store).of(w.project.id);
    expect(repository).toMatchObject({
      fullName: 'acme/weather-bot-abc123',
      defaultBranch: 'main',
      head: { commit: 'c0ffee', message: 'Scaffold' },
      pullRequests: [
        { number: 2, title: 'Change of weather-bot-abc123', checks: 'failure', head: 'change-2' },
      ],
    });
  });

  it('brings each project whose head moved to its knowledge, one at a time, and a failed index fails nothing', async () => {
    // Prepare
    const w = await world();
    let head = 'c0ffee';
    const gitHost = {
      defaultBranchHead: async () => ({ branch: 'main', commit: head, message: 'x' }),
      openPullRequests: async () => [],
    } as unknown as GitHost;
    const indexed = new Map<string, string>();
    const calls: string[] = [];
    let running = 0;
    let overlapped = false;
    const refreshKnowledge = async (project: { id: string }, at: { commit: string }) => {
      calls.push(`${project.id}@${at.commit}`);
      running++;
      overlapped ||= running > 1;
      await new Promise((r) => setTimeout(r, 5));
      running--;
      if (project.id === 'draft-1') throw new Error('S3 Vectors throttled');
      if (indexed.get(project.id) === at.commit) return undefined;
      indexed.set(project.id, at.commit);
      return { commit: at.commit };
    };
    const sync = new RepositorySync({ projects: w.projects, gitHost, records: w.records, refreshKnowledge });

    // Act
    const first = await sync.syncAll(1);
    const unchanged = await sync.syncAll(2);
    head = 'beef00';
    const moved = await sync.syncAll(3);

    // Assess
    expect(first).toMatchObject({ indexed: [w.project.id], indexFailed: ['draft-1'], failed: [] });
    expect(first.synced.sort()).toEqual([w.project.id, 'draft-1'].sort());
    expect(unchanged.indexed).toBeUndefined();
    expect(moved.indexed).toEqual([w.project.id]);
    expect(indexed.get(w.project.id)).toBe('beef00');
    expect(overlapped).toBe(false);
    expect(calls).toHaveLength(6);
  });
});
