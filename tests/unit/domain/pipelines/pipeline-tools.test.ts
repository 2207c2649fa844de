import { describe, expect, it } from 'vitest';
import type { ToolContext } from '../../../../lambdas/domain/agent/agent-tool.ts';
import {
  approveEscalation,
  runStatus,
  startEngineering,
} from '../../../../lambdas/domain/agent/tools/pipeline-tools.ts';
import { DomainError } from '../../../../lambdas/domain/errors.ts';
import { PipelineDocuments } from '../../../../lambdas/domain/pipelines/documents.ts';
import { EngineeringService } from '../../../../lambdas/domain/pipelines/engineering-service.ts';
import { Escalations } from '../../../../lambdas/domain/pipelines/escalations.ts';
import { RunRecords } from '../../../../lambdas/domain/pipelines/run-records.ts';
import { MemoryPipelines } from '../../../support/memory-pipelines.ts';
import { agentWorld } from '../../../support/product-owner-world.ts';
import { RecordingChat } from '../../../support/recording-chat.ts';

const ALICE = { userId: 2002, role: 'user' as const };
const BOB = { userId: 3003, role: 'user' as const };

function setup() {
  const world = agentWorld({ chat: new RecordingChat() });
  const pipelines = new MemoryPipelines();
  const engineering = new EngineeringService({
    pipelines,
    runs: new RunRecords(world.store),
    documents: new PipelineDocuments(world.store),
    escalations: new Escalations(world.store),
  });
  const context = (principal: typeof ALICE, key: string): ToolContext => ({
    principal,
    chatId: principal.userId,
    threadId: `chat-${principal.userId}-1`,
    idempotencyKey: key,
    services: {
      projects: world.projects,
      chat: world.chat,
      vault: world.vault,
      users: world.directory,
      usage: world.usage,
      engineering,
    },
  });
  return { world, pipelines, context };
}

describe('pipeline tools', () => {
  it("start a run of the person's own project and report it, with the run's status after", async () => {
    // Prepare
    const { world, context, pipelines } = setup();
    await world.projects.create(ALICE, { name: 'weather-bot', description: 'a weather bot' }, 'k1');

    // Act
    const started = await startEngineering.run({ project: 'weather-bot' }, context(ALICE, 't1'));
    const status = await runStatus.run({ project: 'weather-bot' }, context(ALICE, 't2'));

    // Assess
    expect(started.result).toMatchObject({
      kind: 'run_started',
      runName: expect.stringMatching(/^eng-weather-bot-/),
    });
    expect(status.result).toMatchObject({ kind: 'run_status', run: { status: 'RUNNING' } });
    expect(pipelines.runs.size).toBe(1);
    expect((await world.projects.get(ALICE, 'weather-bot')).status).toBe('engineering');
  });

  it.each([
    ['start_engineering', startEngineering],
    ['run_status', runStatus],
    ['approve_escalation', approveEscalation],
  ])("calls another person's project not found in %s, and starts nothing", async (_name, tool) => {
    // Prepare
    const { world, context, pipelines } = setup();
    await world.projects.create(ALICE, { name: 'weather-bot', description: 'a weather bot' }, 'k1');

    // Act
    const running = tool.run({ project: 'weather-bot', decision: 'give_up' }, context(BOB, 't1'));

    // Assess
    await expect(running).rejects.toMatchObject({ code: 'not_found' });
    await expect(running).rejects.toBeInstanceOf(DomainError);
    expect(pipelines.runs.size).toBe(0);
  });
});
