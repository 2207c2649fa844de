import { describe, expect, it } from 'vitest';
import { OfflineModel } from '../../../../lambdas/adapters/llm/offline-model.ts';
import { PipelineDocuments } from '../../../../lambdas/domain/pipelines/documents.ts';
import { parsePipelineEventBody } from '../../../../lambdas/domain/pipelines/pipeline-event.ts';
import { RunRecords } from '../../../../lambdas/domain/pipelines/run-records.ts';
import { writeSpecStep } from '../../../../lambdas/domain/pipelines/steps/analyst.ts';
import { notifyOwnerStep } from '../../../../lambdas/domain/pipelines/steps/notify-owner.ts';
import { recordAttemptStep } from '../../../../lambdas/domain/pipelines/steps/record-attempt.ts';
import { ProjectRepository } from '../../../../lambdas/domain/projects/project-repository.ts';
import { ProjectService } from '../../../../lambdas/domain/projects/project-service.ts';
import { UsageLedger } from '../../../../lambdas/domain/usage/usage-ledger.ts';
import type { OutgoingMessage } from '../../../../lambdas/ports/queue.ts';
import { MemoryStore } from '../../../support/memory-store.ts';

const run = {
  name: 'eng-weather-bot-55da0d-1',
  projectId: 'weather-bot-55da0d',
  ownerId: 2002,
  chatId: 2002,
};

describe('analyst step', () => {
  it('stores a spec with user stories and acceptance criteria and returns only its reference', async () => {
    // Prepare
    const store = new MemoryStore();
    const documents = new PipelineDocuments(store);
    const requestRef = await documents.put(
      run.projectId,
      'request',
      run.name,
      0,
      'make me a weather bot with daily notifications',
    );

    // Act
    const result = await writeSpecStep(
      { model: new OfflineModel(), documents, usage: new UsageLedger(store, {}) },
      { run, requestRef },
    );

    // Assess
    expect(result).toEqual({ specRef: `doc:spec:${run.name}:0`, title: 'weather bot' });
    const spec = await documents.get(run.projectId, result.specRef);
    expect(spec).toContain('### Story 2: daily notifications');
    expect(spec).toContain('Acceptance criteria:');
    expect(store.dump('usage').length).toBeGreaterThan(0);
  });
});

describe('record-attempt step', () => {
  const deps = (store: MemoryStore) => ({
    runs: new RunRecords(store),
    documents: new PipelineDocuments(store),
    usage: new UsageLedger(store, { 'claude-x': { inputPerMTok: 3, outputPerMTok: 15 } }),
  });

  it('stores the attempt, its report and its usage under the project, and returns the verdict', async () => {
    // Prepare
    const store = new MemoryStore();

    // Act
    const verdict = await recordAttemptStep(deps(store), {
      run,
      attempt: 2,
      developer: {
        outcome: 'done',
        commit: 'abc1234',
        summary: 'added /forecast',
        usage: { inputTokens: 1000, outputTokens: 100 },
        modelId: 'claude-x',
      },
      tester: { passed: false, commit: 'abc1234', tests: { exitCode: 1, outputTail: 'not ok 1 - forecast' } },
    });

    // Assess
    expect(verdict).toEqual({ passed: false, reportRef: `doc:report:${run.name}:2`, commit: 'abc1234' });
    expect(await new PipelineDocuments(store).get(run.projectId, verdict.reportRef)).toContain(
      'not ok 1 - forecast',
    );
    const usage = store.dump('usage').map((i) => i.pk);
    expect(usage).toEqual(expect.arrayContaining([expect.stringContaining(run.projectId)]));
  });

  it.each([
    { what: 'a commit that is not a SHA', developer: { outcome: 'done', commit: '$(rm -rf /)' } },
    { what: 'an unknown outcome', developer: { outcome: 'shipped' } },
  ])('refuses a developer report with $what', async ({ developer }) => {
    // Act
    const recording = recordAttemptStep(deps(new MemoryStore()), {
      run,
      attempt: 1,
      developer,
      tester: { passed: true },
    });

    // Assess
    await expect(recording).rejects.toThrow();
  });
});

describe('notify-owner step', () => {
  it("puts the event into the owner's chat group, once per run and kind, and marks the project", async () => {
    // Prepare
    const store = new MemoryStore();
    const sent: OutgoingMessage[] = [];
    const projects = new ProjectService(new ProjectRepository(store));

    // Act
    await notifyOwnerStep(
      { queue: { send: async (m) => void sent.push(m) }, projects, runs: new RunRecords(store) },
      {
        event: 'failed',
        run,
        attempts: 1,
        error: { Error: 'States.HeartbeatTimeout', Cause: 'no heartbeat\nstack...' },
      },
    );

    // Assess
    expect(sent).toHaveLength(1);
    expect(sent[0]?.groupId).toBe(String(run.chatId));
    expect(sent[0]?.deduplicationId).toBe(`run-${run.name}-failed-1`);
    expect(parsePipelineEventBody(JSON.parse(sent[0]?.body ?? '{}'))).toMatchObject({
      kind: 'failed',
      error: 'States.HeartbeatTimeout: no heartbeat',
    });
  });
});

describe('notify-owner step, devops', () => {
  const deploy = { ...run, name: 'dep-weather-bot-55da0d-2' };

  async function world() {
    const store = new MemoryStore();
    const repository = new ProjectRepository(store);
    await repository.create({
      id: run.projectId,
      ownerId: run.ownerId,
      name: 'weather-bot',
      description: 'a weather bot',
      status: 'deploying',
      secretKeys: [],
      createdAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:00:00.000Z',
    });
    const deploys = new RunRecords(store, 'devops');
    await deploys.put({
      runName: deploy.name,
      runId: 'r2',
      pipeline: 'devops',
      projectId: run.projectId,
      ownerId: run.ownerId,
      chatId: run.chatId,
      number: 2,
      startedAt: '2026-01-01T00:00:00.000Z',
    });
    const deps = {
      queue: { send: async () => undefined },
      projects: new ProjectService(repository),
      runs: new RunRecords(store),
      deploys,
      documents: new PipelineDocuments(store),
    };
    return { deps, repository, deploys, documents: deps.documents };
  }

  it("keeps the failed release's log tail as a document on the run, and a release put back stays deployed", async () => {
    // Prepare
    const { deps, repository, deploys, documents } = await world();

    // Act: the restored release failed its check too
    await notifyOwnerStep(deps, {
      event: 'failed',
      pipeline: 'devops',
      run: deploy,
      error: { Error: 'SmokeTestFailed', Cause: 'http://127.0.0.1:20218/health answered 500' },
      restored: 'a'.repeat(40),
      failureLog: 'state is unreadable; config: {"WEATHER_API_KEY":"***"}',
    });

    // Assess
    const record = await deploys.get(run.projectId, deploy.name);
    expect(record).toMatchObject({ outcome: 'failed', logRef: `doc:log:${deploy.name}:0` });
    expect(await documents.get(run.projectId, record?.logRef ?? '')).toContain('"WEATHER_API_KEY":"***"');
    expect((await repository.get(run.projectId))?.status).toBe('deployed');
  });

  it('puts a project whose failed deploy put nothing back to ready, with no log document', async () => {
    // Prepare
    const { deps, repository, deploys } = await world();

    // Act
    await notifyOwnerStep(deps, { event: 'failed', pipeline: 'devops', run: deploy });

    // Assess
    expect((await deploys.get(run.projectId, deploy.name))?.logRef).toBeUndefined();
    expect((await repository.get(run.projectId))?.status).toBe('ready');
  });
});
