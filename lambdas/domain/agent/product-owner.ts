import { randomBytes } from 'node:crypto';
import type { ContentBlock, LanguageModel, TokenUsage } from '../../ports/language-model.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Principal } from '../access/access-policy.ts';
import type { CheckpointStore } from '../conversations/checkpoint-store.ts';
import type { ConversationLeases } from '../conversations/conversation-lease.ts';
import type { ConversationState } from '../conversations/conversation-state.ts';
import type { ToolJournal } from '../conversations/tool-journal.ts';
import type { AgentServices } from './agent-services.ts';
import { type AgentState, emptyAgentState, pendingToolUses, rememberCompleted } from './agent-state.ts';
import { toolDefinition } from './agent-tool.ts';
import type { CapabilityRegistry } from './capability-registry.ts';
import { type CrashPoints, InjectedCrash } from './crash-points.ts';
import { parseIntent } from './intent-parser.ts';
import { productOwnerPrompt, SUMMARISER_PROMPT } from './prompts.ts';
import { executeToolUses } from './tool-executor.ts';
import { appendMessage, renderForSummary, summaryCutIndex, toolResult, userText } from './transcript.ts';

export interface AgentLimits {
  maxIterations: number;
  maxTokensPerRequest: number;
  summariseAfterMessages: number;
  keepRecentMessages: number;
  confirmationTtlSeconds: number;
  awaitSecretTtlSeconds: number;
}

export interface ProductOwnerDeps {
  intentModel: LanguageModel;
  agentModel: LanguageModel;
  registry: CapabilityRegistry;
  leases: ConversationLeases;
  checkpoints: CheckpointStore<AgentState>;
  journal: ToolJournal;
  services: AgentServices;
  limits: AgentLimits;
  crashPoints: CrashPoints;
  logger: Logger;
  now?: () => Date;
}

export type ConfirmationOutcome = 'accepted' | 'stale' | 'expired' | 'not_yours';

/** A turn in progress: the lease, the latest checkpoint, and who is talking. */
interface Turn {
  principal: Principal;
  conversation: ConversationState;
  seq: number;
  state: AgentState;
}

/**
 * The Product Owner agent: an intent parser picks capability groups, then a tool loop with an
 * iteration cap and a token budget works the request. Every step is checkpointed, every tool
 * call journaled, and the conversation is leased, so a crash anywhere resumes where it stopped.
 */
export class ProductOwner {
  private readonly now: () => Date;

  constructor(private readonly deps: ProductOwnerDeps) {
    this.now = deps.now ?? (() => new Date());
  }

  /** A message from the person (already stripped of secrets). */
  async handleMessage(principal: Principal, chatId: number, requestId: string, text: string): Promise<void> {
    await this.givingBackOnError(chatId, requestId, () => this.startTurn(principal, chatId, requestId, text));
  }

  private async startTurn(
    principal: Principal,
    chatId: number,
    requestId: string,
    text: string,
  ): Promise<void> {
    let conversation = await this.deps.leases.acquire(chatId, `request-${requestId}`);
    const checkpoint = await this.deps.checkpoints.latest(conversation.threadId);
    let state = checkpoint?.state ?? emptyAgentState();
    let turn: Turn = { principal, conversation, seq: checkpoint?.seq ?? 0, state };
    if (state.completedRequests.includes(requestId)) {
      // Redelivered after it was handled (a crash between the last checkpoint and the queue ack).
      await this.deps.leases.release(conversation);
      return;
    }
    if (state.turn?.requestId !== requestId) {
      const cancelled = conversation.confirmation;
      if (cancelled) {
        conversation = await this.deps.leases.update(conversation, { confirmation: undefined });
        await this.deps.services.chat
          .edit(chatId, cancelled.messageId ?? 0, `${cancelled.prompt}\n\nCancelled: you sent a new message.`)
          .catch(() => undefined);
      }
      if (conversation.awaitedSecret)
        conversation = await this.deps.leases.update(conversation, { awaitedSecret: undefined });
      state = closeOpenCalls(
        state,
        cancelled
          ? 'The person sent a new message instead of confirming; nothing was done.'
          : 'Interrupted by a newer message; not done.',
      );
      state = {
        ...state,
        messages: appendMessage(state.messages, userText(text)),
        turn: { requestId, iterations: 0, tokens: 0, decisions: {} },
      };
      turn = { principal, conversation, seq: turn.seq, state };
      turn = await this.save(turn);
    }
    await this.run(turn, chatId);
  }

  /** A press on a confirmation button, validated against the question that was asked. */
  async handleConfirmation(
    principal: Principal,
    chatId: number,
    requestId: string,
    nonce: string,
    approved: boolean,
  ): Promise<ConfirmationOutcome> {
    return this.givingBackOnError(chatId, requestId, () =>
      this.answerConfirmation(principal, chatId, requestId, nonce, approved),
    );
  }

  /**
   * A run that fails with an error (a Telegram or model outage) is retried by the queue with the
   * same request id, which takes the lease again; giving the lease back meanwhile keeps the
   * chat's other messages from waiting for it to expire. An injected crash keeps it, as a real
   * crash would.
   */
  private async givingBackOnError<T>(chatId: number, requestId: string, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (error) {
      if (!(error instanceof InjectedCrash)) {
        await this.deps.leases.releaseIfHeldBy(chatId, `request-${requestId}`).catch(() => undefined);
      }
      throw error;
    }
  }

  private async answerConfirmation(
    principal: Principal,
    chatId: number,
    requestId: string,
    nonce: string,
    approved: boolean,
  ): Promise<ConfirmationOutcome> {
    const before = await this.deps.leases.read(chatId);
    const asked = before.confirmation;
    if (!asked || asked.nonce !== nonce)
      return this.resumeAnswered(principal, chatId, requestId, nonce, before);
    if (asked.userId !== principal.userId) return 'not_yours';
    if (asked.expiresAt < this.seconds()) return 'expired';
    let conversation = await this.deps.leases.acquire(chatId, `request-${requestId}`);
    if (conversation.confirmation?.nonce !== nonce) {
      await this.deps.leases.release(conversation);
      return 'stale';
    }
    conversation = await this.deps.leases.update(conversation, { confirmation: undefined });
    await this.deps.services.chat
      .edit(chatId, asked.messageId ?? 0, `${asked.prompt}\n\n${approved ? 'Confirmed.' : 'Cancelled.'}`)
      .catch(() => undefined);
    const checkpoint = await this.deps.checkpoints.latest(conversation.threadId);
    const state = checkpoint?.state ?? emptyAgentState();
    if (!state.turn) {
      await this.deps.leases.release(conversation);
      return 'stale';
    }
    const turn = await this.save({
      principal,
      conversation,
      seq: checkpoint?.seq ?? 0,
      state: {
        ...state,
        turn: {
          ...state.turn,
          decisions: { ...state.turn.decisions, [asked.toolUseId]: approved },
          answered: [...(state.turn.answered ?? []), nonce],
        },
      },
    });
    await this.run(turn, chatId);
    return 'accepted';
  }

  /**
   * The same button press delivered again after a crash: its answer is in the checkpoint, so the
   * turn it belongs to is resumed rather than the press being reported stale.
   */
  private async resumeAnswered(
    principal: Principal,
    chatId: number,
    requestId: string,
    nonce: string,
    before: ConversationState,
  ): Promise<ConfirmationOutcome> {
    const checkpoint = await this.deps.checkpoints.latest(before.threadId);
    if (!checkpoint?.state.turn?.answered?.includes(nonce)) return 'stale';
    const conversation = await this.deps.leases.acquire(chatId, `request-${requestId}`);
    const latest = await this.deps.checkpoints.latest(conversation.threadId);
    if (!latest?.state.turn?.answered?.includes(nonce)) {
      await this.deps.leases.release(conversation);
      return 'stale';
    }
    await this.run({ principal, conversation, seq: latest.seq, state: latest.state }, chatId);
    return 'accepted';
  }

  private async run(start: Turn, chatId: number): Promise<void> {
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
          { journal: this.deps.journal, crashPoints: this.deps.crashPoints, logger },
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
        break;
      }
      if (active.tokens >= limits.maxTokensPerRequest) {
        await services.chat.send(
          chatId,
          'This request used up its model budget, so I stopped. Try a smaller step.',
        );
        logger.warn('agent token budget reached', { tokens: active.tokens });
        break;
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

  private async save(turn: Turn): Promise<Turn> {
    const seq = turn.seq + 1;
    await this.deps.checkpoints.save(turn.conversation.threadId, seq, turn.state);
    const conversation = await this.deps.leases.heartbeat(turn.conversation);
    return { ...turn, seq, conversation };
  }

  private async recordUsage(turn: Turn, modelId: string, usage: TokenUsage) {
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
function closeOpenCalls(state: AgentState, reason: string): AgentState {
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
