import { randomBytes } from 'node:crypto';
import type { ContentBlock, TokenUsage } from '../../ports/language-model.ts';
import type { Principal } from '../access/access-policy.ts';
import type { ConversationState } from '../conversations/conversation-state.ts';
import { type AgentState, pendingToolUses, rememberCompleted } from './agent-state.ts';
import { toolDefinition } from './agent-tool.ts';
import { parseIntent } from './intent-parser.ts';
import type { ProductOwnerDeps } from './product-owner.ts';
import { productOwnerPrompt, SUMMARISER_PROMPT } from './prompts.ts';
import { executeToolUses } from './tool-executor.ts';
import { appendMessage, renderForSummary, summaryCutIndex, toolResult, userText } from './transcript.ts';

/** A turn in progress: the lease, the latest checkpoint, and who is talking. */
/** The worker ran short of time between two steps; the turn resumes from its checkpoint. */
export class TurnPausedError extends Error {
  constructor() {
    super('Turn paused: the worker is about to run out of time');
    this.name = 'TurnPausedError';
  }
}

export interface Turn {
  principal: Principal;
  conversation: ConversationState;
  seq: number;
  state: AgentState;
}

/**
 * Works a turn to its end: tool calls through the journal, model calls within the iteration cap
 * and token budget, a checkpoint after every step, confirmations asked and the lease given back.
 */
export class TurnRunner {
  private readonly now: () => Date;

  constructor(private readonly deps: ProductOwnerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  async run(start: Turn, chatId: number): Promise<void> {
    let turn = start;
    const { limits, services, logger } = this.deps;
    for (;;) {
      const active = turn.state.turn;
      if (!active) break;
      const pending = pendingToolUses(turn.state);
      if (pending.length > 0) {
        const tools = new Map(
          this.deps.registry.toolsFor(turn.principal, active.groups ?? []).map((t) => [t.name, t]),
        );
        const outcome = await executeToolUses(
          pending,
          tools,
          active.decisions,
          { principal: turn.principal, chatId, threadId: turn.conversation.threadId, services },
          {
            journal: this.deps.journal,
            crashPoints: this.deps.crashPoints,
            logger,
            ...(this.deps.telemetry ? { telemetry: this.deps.telemetry } : {}),
          },
        );
        if (outcome.kind === 'needs_confirmation') {
          await this.askConfirmation(
            turn,
            chatId,
            outcome.toolUse.id,
            outcome.toolUse.name,
            outcome.question,
          );
          return;
        }
        let groups = active.groups ?? [];
        let finished = false;
        let awaitedSecret = turn.conversation.awaitedSecret;
        for (const control of outcome.controls) {
          if (control.kind === 'finish') finished = true;
          if (control.kind === 'add_capabilities')
            groups = this.deps.registry.allowed(turn.principal, [...groups, ...control.groups]);
          if (control.kind === 'await_secret') {
            awaitedSecret = {
              projectId: control.projectId,
              key: control.key,
              expiresAt: this.seconds() + limits.awaitSecretTtlSeconds,
            };
          }
        }
        if (awaitedSecret !== turn.conversation.awaitedSecret) {
          turn = {
            ...turn,
            conversation: await this.deps.leases.update(turn.conversation, { awaitedSecret }),
          };
        }
        turn = await this.save({
          ...turn,
          state: {
            ...turn.state,
            messages: appendMessage(turn.state.messages, { role: 'user', content: outcome.results }),
            turn: { ...active, groups },
            ...(outcome.projectId ? { focusProjectId: outcome.projectId } : {}),
          },
        });
        if (finished) break;
        continue;
      }
      if (active.iterations >= limits.maxIterations) {
        await services.chat.send(
          chatId,
          `I stopped after ${limits.maxIterations} steps without finishing. Tell me how to go on.`,
        );
        logger.warn('agent iteration cap reached', { iterations: active.iterations });
        this.deps.telemetry?.count('AgentStoppedAtIterationCap');
        break;
      }
      if (active.tokens >= limits.maxTokensPerRequest) {
        await services.chat.send(
          chatId,
          'This request used up its model budget, so I stopped. Try a smaller step.',
        );
        logger.warn('agent token budget reached', { tokens: active.tokens });
        this.deps.telemetry?.count('AgentStoppedAtBudget');
        break;
      }
      // Every step so far is checkpointed: a worker about to run out of time stops here and the
      // turn goes on in the next one, instead of being cut off mid-call.
      const remaining = this.deps.remainingMs?.();
      if (remaining !== undefined && remaining < limits.modelCallReserveMs) {
        logger.info('turn paused: not enough time left for a model call', { remainingMs: remaining });
        this.deps.telemetry?.count('AgentTurnPaused');
        throw new TurnPausedError();
      }
      if (!active.groups) {
        const intent = await parseIntent(
          this.deps.intentModel,
          this.deps.registry,
          turn.principal,
          lastUserText(turn.state),
        );
        await this.recordUsage(turn, intent.response.modelId, intent.response.usage);
        turn = await this.save({
          ...turn,
          state: {
            ...turn.state,
            turn: {
              ...active,
              groups: intent.groups,
              tokens: active.tokens + tokensOf(intent.response.usage),
            },
          },
        });
        continue;
      }
      const tools = this.deps.registry.toolsFor(turn.principal, active.groups);
      const response = await this.deps.agentModel.complete({
        system: productOwnerPrompt(turn.principal, turn.state.summary, this.now()),
        messages: turn.state.messages,
        tools: tools.map(toolDefinition),
        maxTokens: 2000,
      });
      await this.recordUsage(turn, response.modelId, response.usage);
      const content: ContentBlock[] =
        response.content.length > 0 ? response.content : [{ type: 'text', text: '…' }];
      turn = await this.save({
        ...turn,
        state: {
          ...turn.state,
          messages: appendMessage(turn.state.messages, { role: 'assistant', content }),
          turn: {
            ...active,
            iterations: active.iterations + 1,
            tokens: active.tokens + tokensOf(response.usage),
          },
        },
      });
      this.deps.crashPoints.check('after-model-call');
      if (!content.some((b) => b.type === 'tool_use')) {
        const text = content
          .flatMap((b) => (b.type === 'text' ? [b.text] : []))
          .join('\n')
          .trim();
        if (text && text !== '…') await services.chat.send(chatId, text);
        break;
      }
    }
    await this.finishTurn(turn);
  }

  private async askConfirmation(
    turn: Turn,
    chatId: number,
    toolUseId: string,
    toolName: string,
    question: string,
  ) {
    const nonce = randomBytes(8).toString('hex');
    this.deps.telemetry?.count('ConfirmationAsked');
    const { messageId } = await this.deps.services.chat.send(chatId, question, [
      [
        { text: 'Confirm', data: `cf:${nonce}:y` },
        { text: 'Cancel', data: `cf:${nonce}:n` },
      ],
    ]);
    await this.deps.leases.release(turn.conversation, {
      confirmation: {
        nonce,
        userId: turn.principal.userId,
        toolUseId,
        toolName,
        prompt: question,
        messageId,
        expiresAt: this.seconds() + this.deps.limits.confirmationTtlSeconds,
      },
    });
  }

  private async finishTurn(turn: Turn): Promise<void> {
    this.deps.telemetry?.count('AgentTurnCompleted');
    const active = turn.state.turn;
    let state: AgentState = {
      ...closeOpenCalls(turn.state, 'The turn ended before this call ran.'),
      turn: undefined,
      completedRequests: active
        ? rememberCompleted(turn.state, active.requestId)
        : turn.state.completedRequests,
    };
    // End every turn on an assistant message, so the next turn starts with a clean user message.
    if (state.messages.at(-1)?.role === 'user') {
      state = {
        ...state,
        messages: appendMessage(state.messages, {
          role: 'assistant',
          content: [{ type: 'text', text: '(turn finished)' }],
        }),
      };
    }
    state = await this.summariseIfLong({ ...turn, state });
    const saved = await this.save({ ...turn, state });
    await this.deps.leases.release(saved.conversation);
  }

  /** Folds older messages into a summary so the prompt stays bounded however long the chat. */
  private async summariseIfLong(turn: Turn): Promise<AgentState> {
    const { state } = turn;
    const { summariseAfterMessages, keepRecentMessages } = this.deps.limits;
    if (state.messages.length <= summariseAfterMessages) return state;
    const cut = summaryCutIndex(state.messages, state.messages.length - keepRecentMessages);
    if (cut === undefined) return state;
    const older = state.messages.slice(0, cut);
    const response = await this.deps.intentModel.complete({
      system: SUMMARISER_PROMPT,
      messages: [
        userText(
          [state.summary ? `Earlier summary:\n${state.summary}` : '', renderForSummary(older)].join('\n'),
        ),
      ],
      maxTokens: 600,
      temperature: 0,
    });
    await this.recordUsage(turn, response.modelId, response.usage);
    const summary = response.content
      .flatMap((b) => (b.type === 'text' ? [b.text] : []))
      .join('\n')
      .trim();
    return { ...state, summary: summary.slice(0, 6000), messages: state.messages.slice(cut) };
  }

  async save(turn: Turn): Promise<Turn> {
    const seq = turn.seq + 1;
    await this.deps.checkpoints.save(turn.conversation.threadId, seq, turn.state);
    const conversation = await this.deps.leases.heartbeat(turn.conversation);
    return { ...turn, seq, conversation };
  }

  private async recordUsage(turn: Turn, modelId: string, usage: TokenUsage) {
    this.deps.telemetry?.count('AgentModelCall');
    this.deps.telemetry?.count(
      'ModelInputTokens',
      usage.inputTokens + usage.cacheReadTokens + usage.cacheWriteTokens,
    );
    this.deps.telemetry?.count('ModelOutputTokens', usage.outputTokens);
    const projectId = turn.state.focusProjectId;
    await this.deps.services.usage.record({
      userId: turn.principal.userId,
      modelId,
      usage,
      ...(projectId ? { projectId } : {}),
    });
  }

  private seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}

/** Gives every tool call still without a result one, so the transcript stays valid. */
export function closeOpenCalls(state: AgentState, reason: string): AgentState {
  const open = pendingToolUses(state);
  if (open.length === 0) return state;
  return {
    ...state,
    messages: appendMessage(state.messages, {
      role: 'user',
      content: open.map((u) => toolResult(u.id, reason, true)),
    }),
  };
}

function lastUserText(state: AgentState): string {
  for (let i = state.messages.length - 1; i >= 0; i--) {
    const message = state.messages[i];
    if (message?.role !== 'user') continue;
    const text = message.content.flatMap((b) => (b.type === 'text' ? [b.text] : [])).join('\n');
    if (text) return text;
  }
  return '';
}

const tokensOf = (usage: { inputTokens: number; outputTokens: number }) =>
  usage.inputTokens + usage.outputTokens;
