import type { ContentBlock } from '../../ports/language-model.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { Logger } from '../../shared/logger.ts';
import type { ToolJournal } from '../conversations/tool-journal.ts';
import { DomainError } from '../errors.ts';
import type { AgentTool, ToolContext, ToolControl } from './agent-tool.ts';
import type { CrashPoints } from './crash-points.ts';
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

const INTERRUPTED =
  'This call was interrupted before its result was recorded and is not repeated, to avoid doing it twice. ' +
  'Check its effect before trying again.';

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
  const record = async (
    use: ToolUse,
    content: string,
    isError: boolean,
    control?: ToolControl,
    project?: string,
  ) => {
    const replay = JSON.stringify({ content, isError, control, projectId: project });
    await deps.journal.recordResult(context.threadId, use.id, replay, isError);
    deps.crashPoints.check('after-tool-recorded', use.name);
    results.push(toolResult(use.id, content, isError));
    if (control) controls.push(control);
    if (project) projectId = project;
  };

  for (const use of uses) {
    const entry = await deps.journal.get(context.threadId, use.id);
    if (entry?.status === 'done') {
      const replay = JSON.parse(entry.content) as {
        content: string;
        isError: boolean;
        control?: ToolControl;
        projectId?: string;
      };
      results.push(toolResult(use.id, replay.content, replay.isError));
      if (replay.control) controls.push(replay.control);
      if (replay.projectId) projectId = replay.projectId;
      continue;
    }
    const tool = tools.get(use.name);
    if (!tool) {
      await record(
        use,
        `Tool ${use.name} is not available here. Use request_capabilities or another tool.`,
        true,
      );
      continue;
    }
    const parsed = tool.input.safeParse(use.input);
    if (!parsed.success) {
      await record(
        use,
        `Invalid input for ${use.name}: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join('; ')}`,
        true,
      );
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
        await record(use, error.message, true);
        continue;
      }
    }
    if (decision === false) {
      await record(use, 'The person declined; nothing was done.', false);
      continue;
    }
    if (entry?.status === 'started' && !tool.idempotent) {
      await record(use, INTERRUPTED, true);
      continue;
    }
    await deps.journal.markStarted(context.threadId, use.id);
    deps.crashPoints.check('after-tool-started', use.name);
    let outcome: { content: string; isError?: boolean; control?: ToolControl; projectId?: string };
    try {
      outcome = await tool.run(parsed.data, toolContext);
    } catch (error) {
      // A person's mistake (unknown project, bad name) goes back to the model to handle; anything
      // else is an outage: the message is retried later and the journal keeps the call safe.
      if (!(error instanceof DomainError)) throw error;
      outcome = { content: error.message, isError: true };
    }
    deps.logger.info('tool call done', { tool: use.name, isError: Boolean(outcome.isError) });
    deps.telemetry?.count('AgentToolCall');
    if (outcome.isError) deps.telemetry?.count('AgentToolError');
    deps.crashPoints.check('after-tool-executed', use.name);
    await record(use, outcome.content, Boolean(outcome.isError), outcome.control, outcome.projectId);
  }
  return { kind: 'done', results, controls, ...(projectId ? { projectId } : {}) };
}
