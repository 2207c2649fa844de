import { beforeEach, describe, expect, it } from 'vitest';
import { PipelineDocuments } from '../../../../lambdas/domain/pipelines/documents.ts';
import { EngineeringService } from '../../../../lambdas/domain/pipelines/engineering-service.ts';
import { Escalations } from '../../../../lambdas/domain/pipelines/escalations.ts';
import { RunRecords } from '../../../../lambdas/domain/pipelines/run-records.ts';
import { escalateStep } from '../../../../lambdas/domain/pipelines/steps/escalate.ts';
import type { Project } from '../../../../lambdas/domain/projects/project.ts';
import { MemoryPipelines } from '../../../support/memory-pipelines.ts';
import { MemoryStore } from '../../../support/memory-store.ts';
import { RecordingChat } from '../../../support/recording-chat.ts';

const OWNER = 2002;
const project: Project = {
  id: 'weather-bot-55da0d',
  ownerId: OWNER,
  name: 'weather-bot',
  description: 'a weather bot with daily notifications',
  status: 'draft',
  secretKeys: [],
  createdAt: '2026-01-01T00:00:00.000Z',
  updatedAt: '2026-01-01T00:00:00.000Z',
};

let store: MemoryStore;
let pipelines: MemoryPipelines;
let service: EngineeringService;
let runs: RunRecords;

beforeEach(() => {
  store = new MemoryStore();
  pipelines = new MemoryPipelines();
  runs = new RunRecords(store);
  service = new EngineeringService({
    pipelines,
    runs,
    documents: new PipelineDocuments(store),
    escalations: new Escalations(store),
  });
});

describe('EngineeringService.start', () => {
  it('starts a run named after the project and its run number, with ids and references only', async () => {
    // Act
    const record = await service.start(project, OWNER);

    // Assess
    expect(record.runName).toBe('eng-weather-bot-55da0d-1');
    const run = [...pipelines.runs.values()][0];
    expect(run?.input).toEqual({
      run: {
        name: 'eng-weather-bot-55da0d-1',
        projectId: project.id,
        ownerId: OWNER,
        chatId: OWNER,
        number: 1,
        requestRef: 'doc:request:eng-weather-bot-55da0d-1:0',
        taskGroup: expect.stringMatching(/^run-[0-9a-f]{24}$/),
        deployAfter: false,
      },
    });
    expect(JSON.stringify(run?.input)).not.toContain('daily notifications');
  });

  it("carries the owner's wish to deploy once built into the run", async () => {
    await service.start(project, OWNER, undefined, { deployAfter: true });
    const run = [...pipelines.runs.values()][0];
    expect((run?.input as { run?: { deployAfter?: boolean } } | undefined)?.run?.deployAfter).toBe(true);
  });

  it('gives the next run of the project the next number, on a change request', async () => {
    // Act
    await service.start(project, OWNER);
    const second = await service.start(project, OWNER, 'add a /forecast command');

    // Assess
    expect(second.runName).toBe('eng-weather-bot-55da0d-2');
    expect(await new PipelineDocuments(store).get(project.id, 'doc:request:eng-weather-bot-55da0d-2:0')).toBe(
      'add a /forecast command',
    );
  });
});

describe('EngineeringService.decide', () => {
  async function escalated() {
    const record = await service.start(project, OWNER);
    const token = pipelines.waitOn(record.runId, 'Ask the owner what to do');
    const chat = new RecordingChat();
    const { escalationId } = await escalateStep(
      { escalations: new Escalations(store), runs, chat },
      {
        run: { name: record.runName, projectId: project.id, ownerId: OWNER, chatId: OWNER },
        attempt: 3,
        taskToken: token,
      },
    );
    return { token, escalationId, chat };
  }

  it("sends the owner's answer through the waiting token once, and refuses a second press", async () => {
    // Prepare
    const { token, escalationId, chat } = await escalated();

    // Act
    const first = await service.decide({ userId: OWNER, role: 'user' }, escalationId, 'give_up');
    const again = await service.decide({ userId: OWNER, role: 'user' }, escalationId, 'try_again');

    // Assess
    expect([first, again]).toEqual(['accepted', 'stale']);
    expect(pipelines.answered.get(token)).toEqual({ decision: 'give_up' });
    expect(
      chat.sent
        .at(-1)
        ?.buttons?.flat()
        .map((b) => b.data),
    ).toEqual([`esc:${escalationId}:t`, `esc:${escalationId}:g`]);
  });

  it("refuses someone else's press, even an admin's, without using the token", async () => {
    // Prepare
    const { token, escalationId } = await escalated();

    // Act
    const outcome = await service.decide({ userId: 1001, role: 'admin' }, escalationId, 'give_up');

    // Assess
    expect(outcome).toBe('not_yours');
    expect(pipelines.answered.has(token)).toBe(false);
    expect(await service.decide({ userId: OWNER, role: 'user' }, escalationId, 'try_again')).toBe('accepted');
  });

  it('reports the latest run with its step and whether it waits for the owner', async () => {
    // Prepare
    await escalated();

    // Act
    const facts = await service.latest(project);

    // Assess
    expect(facts).toMatchObject({
      runName: 'eng-weather-bot-55da0d-1',
      status: 'RUNNING',
      step: 'Ask the owner what to do',
      waitingForDecision: true,
    });
  });
});
