import type { ContentBlock } from '../../ports/language-model.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ToolJournal } from '../conversations/tool-journal.ts';
import { DomainError } from '../errors.ts';
import type { AgentTool, ToolContext, ToolControl, ToolOutcome } from './agent-tool.ts';
import type { CrashPoints } from './crash-points.ts';
import { isErrorResult, type ToolResultData } from './tool-results.ts';
import { toolResult } from './transcript.ts';

type ToolUse = Extract<ContentBlock, { type: 'tool_use' }>;

export type ExecutionResult =
  | { kind: 'done'; results: ContentBlock[]; controls: ToolControl[]; projectId?: string }
  | { kind: 'needs_confirmation'; toolUse: ToolUse; question: string };

export interface ExecutorDeps {
  journal: ToolJournal;
  crashPoints: CrashPoints;
  logger: Logger;
  telemetry?: Telemetry;
}

/** What the journal keeps of a finished call: enough to replay its result without running it. */
type Recorded = ToolOutcome;

/** An entry journaled before results were typed: its rendered text only. */
interface UntypedRecord {
  content: string;
  isError: boolean;
  control?: ToolControl;
  projectId?: string;
}

/**
 * Runs the tool calls of one assistant message, each at most once: the journal is consulted
 * first (a recorded result is replayed), a call is marked started before it runs, and its result
 * is recorded before anything else happens. A call that needs confirmation stops the run; the
 * calls before it are journaled and replay when the run resumes.
 */
export async function executeToolUses(
  uses: ToolUse[],
  tools: Map<string, AgentTool>,
  decisions: Record<string, boolean>,
  context: Omit<ToolContext, 'idempotencyKey'>,
  deps: ExecutorDeps,
): Promise<ExecutionResult> {
  const results: ContentBlock[] = [];
  const controls: ToolControl[] = [];
  let projectId: string | undefined;
  const collect = (use: ToolUse, outcome: ToolOutcome) => {
    results.push(toolResult(use.id, outcome.result));
    if (outcome.control) controls.push(outcome.control);
    if (outcome.projectId) projectId = outcome.projectId;
  };
  const record = async (use: ToolUse, outcome: ToolOutcome) => {
    const replay: Recorded = outcome;
    await deps.journal.recordResult(
      context.threadId,
      use.id,
      JSON.stringify(replay),
      isErrorResult(outcome.result),
    );
    deps.crashPoints.check('after-tool-recorded', use.name);
    collect(use, outcome);
  };
  const replayUntyped = (use: ToolUse, replay: UntypedRecord) => {
    results.push({
      type: 'tool_result',
      toolUseId: use.id,
      content: replay.content,
      isError: replay.isError,
    });
    if (replay.control) controls.push(replay.control);
    if (replay.projectId) projectId = replay.projectId;
  };
  const fail = (result: ToolResultData) => ({ result });

  for (const use of uses) {
    const entry = await deps.journal.get(context.threadId, use.id);
    if (entry?.status === 'done') {
      const replay = JSON.parse(entry.content) as Recorded | UntypedRecord;
      if ('result' in replay) collect(use, replay);
      else replayUntyped(use, replay);
      continue;
    }
    const tool = tools.get(use.name);
    if (!tool) {
      await record(use, fail({ kind: 'tool_unavailable', tool: use.name }));
      continue;
    }
    const parsed = tool.input.safeParse(use.input);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`);
      await record(use, fail({ kind: 'invalid_input', tool: use.name, problems }));
      continue;
    }
    const toolContext: ToolContext = { ...context, idempotencyKey: use.id };
    const decision = decisions[use.id];
    if (tool.confirmation && decision === undefined) {
      try {
        return {
          kind: 'needs_confirmation',
          toolUse: use,
          question: await tool.confirmation(parsed.data, toolContext),
        };
      } catch (error) {
        if (!(error instanceof DomainError)) throw error;
        await record(use, fail(failure(error)));
        continue;
      }
    }
    if (decision === false) {
      await record(use, { result: { kind: 'declined' } });
      continue;
    }
    if (entry?.status === 'started' && !tool.idempotent) {
      await record(use, fail({ kind: 'interrupted' }));
      continue;
    }
    await deps.journal.markStarted(context.threadId, use.id);
    deps.crashPoints.check('after-tool-started', use.name);
    let outcome: ToolOutcome;
    try {
      outcome = await tool.run(parsed.data, toolContext);
    } catch (error) {
      // A person's mistake (unknown project, bad name) goes back to the model to handle; anything
      // else is an outage: the message is retried later and the journal keeps the call safe.
      if (!(error instanceof DomainError)) throw error;
      outcome = fail(failure(error));
    }
    const isError = isErrorResult(outcome.result);
    deps.logger.info('tool call done', { tool: use.name, result: outcome.result.kind, isError });
    deps.telemetry?.count('AgentToolCall');
    if (isError) deps.telemetry?.count('AgentToolError');
    deps.crashPoints.check('after-tool-executed', use.name);
    await record(use, outcome);
  }
  return { kind: 'done', results, controls, ...(projectId ? { projectId } : {}) };
}

const failure = (error: DomainError): ToolResultData => ({
  kind: 'failed',
  code: error.code,
  message: error.message,
});
