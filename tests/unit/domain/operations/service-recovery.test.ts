import { beforeEach, describe, expect, it } from 'vitest';
import { DevopsService } from '../../../../lambdas/domain/deploys/devops-service.ts';
import { SecretRequests } from '../../../../lambdas/domain/deploys/secret-requests.ts';
import { Incidents } from '../../../../lambdas/domain/operations/incidents.ts';
import { ServiceRecovery } from '../../../../lambdas/domain/operations/service-recovery.ts';
import { PipelineDocuments } from '../../../../lambdas/domain/pipelines/documents.ts';
import { EngineeringService } from '../../../../lambdas/domain/pipelines/engineering-service.ts';
import { Escalations } from '../../../../lambdas/domain/pipelines/escalations.ts';
import { RunRecords } from '../../../../lambdas/domain/pipelines/run-records.ts';
import type { Project } from '../../../../lambdas/domain/projects/project.ts';
import { MemoryPipelines } from '../../../support/memory-pipelines.ts';
import { MemoryStore } from '../../../support/memory-store.ts';
import { RecordingChat } from '../../../support/recording-chat.ts';

const OWNER = 2002;
const project: Project = {
  id: 'weather-bot-55da0d',
  ownerId: OWNER,
  name: 'weather-bot',
  description: 'a weather bot',
  status: 'deployed',
  secretKeys: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};
const GOOD = 'a'.repeat(40);
const down = { healthy: false, detail: 'http://127.0.0.1:20218/health did not answer (ECONNREFUSED)' };

let pipelines: MemoryPipelines;
let deploys: RunRecords;
let builds: RunRecords;
let chat: RecordingChat;
let documents: PipelineDocuments;
let recovery: ServiceRecovery;

beforeEach(async () => {
  const store = new MemoryStore();
  pipelines = new MemoryPipelines();
  deploys = new RunRecords(store, 'devops');
  builds = new RunRecords(store);
  chat = new RecordingChat();
  documents = new PipelineDocuments(store);
  const devops = new DevopsService({ pipelines, deploys, builds, requests: new SecretRequests(store) });
  const engineering = new EngineeringService({
    pipelines,
    runs: builds,
    documents,
    escalations: new Escalations(store),
  });
  recovery = new ServiceRecovery({ devops, engineering, incidents: new Incidents(store), documents, chat });
  // The project was deployed once, successfully.
  await deploys.put({
    runName: 'dep-weather-bot-55da0d-1',
    runId: 'r1',
    pipeline: 'devops',
    projectId: project.id,
    ownerId: OWNER,
    chatId: OWNER,
    number: 1,
    startedAt: '2026-01-01T00:00:00.000Z',
    outcome: 'succeeded',
    commit: GOOD,
  });
});

const endLatestDeploy = async (outcome: 'succeeded' | 'rolled_back' | 'failed', logRef?: string) => {
  const latest = (await deploys.list(project.id)).at(-1)!;
  await deploys.update(project.id, latest.runName, { outcome, ...(logRef ? { logRef } : {}) });
  await pipelines.stop(latest.runId);
};

const owner = { userId: OWNER, role: 'user' as const };
const projects = { get: async () => project };

/** Down, redeployed, still down, offered a fix, and the owner said yes: the fix run is going. */
async function acceptFix(): Promise<void> {
  await recovery.afterCheck(project, OWNER, down);
  await endLatestDeploy('failed');
  await recovery.afterCheck(project, OWNER, down);
  const yes =
    chat.sent
      .at(-1)
      ?.buttons?.flat()
      .find((b) => b.text === 'Start a fix run')?.data ?? '';
  expect(await recovery.decide(owner, yes.split(':')[1] ?? '', true, projects)).toBe('accepted');
}

/** The fix run's record and its Step Functions run end as the pipeline would leave them. */
async function endFixRun(how: 'built' | 'failed'): Promise<void> {
  const fix = (await builds.list(project.id)).at(-1)!;
  if (how === 'built')
    await builds.update(project.id, fix.runName, { outcome: 'succeeded', builtCommit: 'f'.repeat(40) });
  const run = pipelines.runs.get(fix.runId)!;
  run.status = how === 'built' ? 'SUCCEEDED' : 'FAILED';
}

describe('ServiceRecovery', () => {
  it('redeploys the last good release once when a service goes down, and closes the incident when it is back', async () => {
    // Act: two checks see it down while the redeploy runs, then one sees it healthy
    const first = await recovery.afterCheck(project, OWNER, down);
    const second = await recovery.afterCheck(project, OWNER, down);
    await endLatestDeploy('succeeded');
    const third = await recovery.afterCheck(project, OWNER, { healthy: true, detail: 'ok' });

    // Assess: one recovery deploy, of the good commit, marked as a recovery
    expect([first, second, third]).toEqual(['redeploying', 'waiting', 'recovered']);
    expect(chat.sent.map((m) => m.text)).toEqual([expect.stringMatching(/^weather-bot is healthy again/)]);
    const runs = [...pipelines.runs.values()];
    expect(runs).toHaveLength(1);
    expect((runs[0]?.input as { run?: { commit?: string } } | undefined)?.run?.commit).toBe(GOOD);
    expect((await deploys.list(project.id)).at(-1)?.purpose).toBe('recovery');
    expect(await recovery.afterCheck(project, OWNER, { healthy: true, detail: 'ok' })).toBe('healthy');
  });

  it('offers a fix run with buttons when the redeploy did not bring it back; "yes" starts it, deployed when green', async () => {
    // Prepare: the redeploy ran and ended, and the service is still down
    await recovery.afterCheck(project, OWNER, down);
    await endLatestDeploy('rolled_back');

    // Act
    const offered = await recovery.afterCheck(project, OWNER, down);
    const again = await recovery.afterCheck(project, OWNER, down);
    const buttons = chat.sent.at(-1)?.buttons?.flat() ?? [];
    const yes = buttons.find((b) => b.text === 'Start a fix run')?.data ?? '';
    const offerId = yes.split(':')[1] ?? '';
    const byOther = await recovery.decide({ userId: 1, role: 'admin' }, offerId, true, {
      get: async () => project,
    });
    const accepted = await recovery.decide({ userId: OWNER, role: 'user' }, offerId, true, {
      get: async () => project,
    });
    const twice = await recovery.decide({ userId: OWNER, role: 'user' }, offerId, true, {
      get: async () => project,
    });

    // Assess: one offer, bound to the owner, answered once; the fix run carries the failure
    expect([offered, again]).toEqual(['fix_offered', 'fix_offered']);
    expect(chat.sent.filter((m) => m.buttons)).toHaveLength(1);
    expect(yes).toMatch(/^fix:[0-9a-f]{16}:y$/);
    expect([byOther, accepted, twice]).toEqual(['not_yours', 'accepted', 'stale']);
    const fix = [...pipelines.runs.values()].find((r) => r.pipeline === 'engineering');
    expect((fix?.input as { run?: { deployAfter?: boolean } } | undefined)?.run?.deployAfter).toBe(true);
    const request = (await builds.list(project.id)).at(-1);
    expect(request?.runName).toBe('eng-weather-bot-55da0d-1');
  });

  it("gives the fix run the health check's answer and the failed release's log tail", async () => {
    // Prepare: the redeploy rolled back and kept the failed release's log tail (already redacted)
    await recovery.afterCheck(project, OWNER, down);
    const redeploy = (await deploys.list(project.id)).at(-1)!;
    const logRef = await documents.put(
      project.id,
      'log',
      redeploy.runName,
      0,
      'state /srv/data/state.json is unreadable; config: {"WEATHER_API_KEY":"***"}\n',
    );
    await endLatestDeploy('failed', logRef);
    await recovery.afterCheck(project, OWNER, down);
    const yes =
      chat.sent
        .at(-1)
        ?.buttons?.flat()
        .find((b) => b.text === 'Start a fix run')?.data ?? '';

    // Act
    await recovery.decide(owner, yes.split(':')[1] ?? '', true, projects);

    // Assess
    const fix = (await builds.list(project.id)).at(-1)!;
    const request = await documents.get(project.id, `doc:request:${fix.runName}:0`);
    expect(request).toContain(down.detail);
    expect(request).toContain('state /srv/data/state.json is unreadable; config: {"WEATHER_API_KEY":"***"}');
  });

  it('waits while the fix run goes, then tells the owner once when it ends without a build, and stops trying', async () => {
    // Prepare
    await acceptFix();
    const before = chat.sent.length;
    const runsBefore = pipelines.runs.size;

    // Act
    const during = await recovery.afterCheck(project, OWNER, down);
    await endFixRun('failed');
    const after = await recovery.afterCheck(project, OWNER, down);
    const later = await recovery.afterCheck(project, OWNER, down);

    // Assess
    expect([during, after, later]).toEqual(['waiting', 'gave_up', 'gave_up']);
    const told = chat.sent.slice(before).map((m) => m.text);
    expect(told).toEqual([
      expect.stringMatching(
        /^weather-bot is still down: the fix run did not bring it back \(its engineering run eng-\S+ ended without a tested build\)/,
      ),
    ]);
    expect(pipelines.runs.size).toBe(runsBefore);
  });

  it.each([
    ['rolled_back', /its deploy dep-\S+ did not go live/],
    ['succeeded', /its release was deployed and fails its health check too/],
  ] as const)(
    'tells the owner once when the fix was built but its deploy ended %s and it is still down',
    async (outcome, reason) => {
      // Prepare: built, and the run started its deploy before it ended
      await acceptFix();
      await deploys.put({
        runName: 'dep-weather-bot-55da0d-3',
        runId: 'r3',
        pipeline: 'devops',
        projectId: project.id,
        ownerId: OWNER,
        chatId: OWNER,
        number: 3,
        startedAt: '2026-01-02T00:00:00.000Z',
        commit: 'f'.repeat(40),
      });
      await endFixRun('built');
      const deploying = await recovery.afterCheck(project, OWNER, down);
      await deploys.update(project.id, 'dep-weather-bot-55da0d-3', { outcome });

      // Act
      const ended = await recovery.afterCheck(project, OWNER, down);
      const again = await recovery.afterCheck(project, OWNER, down);

      // Assess
      expect([deploying, ended, again]).toEqual(['waiting', 'gave_up', 'gave_up']);
      expect(chat.sent.filter((m) => /did not bring it back/.test(m.text))).toEqual([
        expect.objectContaining({ text: expect.stringMatching(reason) }),
      ]);
    },
  );

  it('tells the owner when the fix was built but its deploy never started', async () => {
    // Prepare
    await acceptFix();
    await endFixRun('built');

    // Act
    const step = await recovery.afterCheck(project, OWNER, down);

    // Assess
    expect(step).toBe('gave_up');
    expect(chat.sent.at(-1)?.text).toMatch(
      /did not bring it back \(its release was built but its deploy did not start\)/,
    );
  });

  it("says it is healthy again thanks to the fix run's release", async () => {
    // Prepare
    await acceptFix();

    // Act
    const step = await recovery.afterCheck(project, OWNER, { healthy: true, detail: 'ok' });

    // Assess
    expect(step).toBe('recovered');
    expect(chat.sent.at(-1)?.text).toBe(
      "weather-bot is healthy again: the fix run's release is deployed and answers its health check.",
    );
  });

  it('does nothing for a project that never went live', async () => {
    const fresh = { ...project, id: 'other-0a0a0a' };
    expect(await recovery.afterCheck(fresh, OWNER, down)).toBe('no_release');
    expect(pipelines.runs.size).toBe(0);
  });
});
