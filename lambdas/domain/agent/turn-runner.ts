import { randomBytes } from 'node:crypto';
import type { CompletionResponse, ContentBlock, TokenUsage } from '../../ports/language-model.ts';
import type { ConversationState } from '../conversations/conversation-state.ts';
import { turnAllowanceKey } from '../usage/budgets.ts';
import type { ProductOwnerDeps } from './agent-deps.ts';
import {
  type AgentState,
  closeOpenCalls,
  latestPersonMessage,
  pendingToolUses,
  rememberCompleted,
  type TurnState,
} from './agent-state.ts';
import { type ToolControl, toolDefinition } from './agent-tool.ts';
import { BUDGET_QUESTION, BUDGET_STOPPED, budgetQuestion, eventsWithoutBudget } from './budget-gate.ts';
import { parseIntent } from './intent-parser.ts';
import { beforeDeadline } from './model-deadline.ts';
import { productOwnerPrompt, SUMMARISER_PROMPT } from './prompts.ts';
import { systemEventOf } from './system-events.ts';
import { executeToolUses } from './tool-executor.ts';
import { appendMessage, summaryCutIndex, summaryDocument, userText } from './transcript.ts';
import { type Turn, TurnPausedError } from './turn.ts';

// Kept here too: the consumer imports it from this module.
export { TurnPausedError };

/** Where one step left the turn: go on, end it (finishing up), or leave it waiting for a person. */
type Step = { kind: 'continue'; turn: Turn } | { kind: 'end'; turn: Turn } | { kind: 'suspended' };

const goOn = (turn: Turn): Step => ({ kind: 'continue', turn });
const end = (turn: Turn): Step => ({ kind: 'end', turn });

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
    let step: Step = goOn(start);
    while (step.kind === 'continue') step = await this.nextStep(step.turn, chatId);
    if (step.kind === 'end') await this.finishTurn(step.turn);
  }

  /** One step: run the calls the model made, or check the limits and ask a model for the next. */
  private async nextStep(turn: Turn, chatId: number): Promise<Step> {
    const active = turn.state.turn;
    if (!active) return end(turn);
    if (pendingToolUses(turn.state).length > 0) return this.runPendingCalls(turn, active, chatId);
    if (await this.stoppedAtLimits(active, chatId)) return end(turn);
    const atBudget = await this.budgetGate(turn, active, chatId);
    if (atBudget) return atBudget;
    this.pauseIfShortOfTime();
    if (!active.groups) return goOn(await this.selectCapabilities(turn, active));
    return this.askAgentModel(turn, active, chatId);
  }

  private async runPendingCalls(turn: Turn, active: TurnState, chatId: number): Promise<Step> {
    const { deps } = this;
    const tools = new Map(
      deps.registry.toolsFor(turn.principal, active.groups ?? []).map((t) => [t.name, t]),
    );
    const outcome = await executeToolUses(
      pendingToolUses(turn.state),
      tools,
      active.decisions,
      { principal: turn.principal, chatId, threadId: turn.conversation.threadId, services: deps.services },
      {
        journal: deps.journal,
        crashPoints: deps.crashPoints,
        logger: deps.logger,
        ...(deps.telemetry ? { telemetry: deps.telemetry } : {}),
      },
    );
    if (outcome.kind === 'needs_confirmation') {
      await this.askConfirmation(turn, chatId, outcome.toolUse.id, outcome.toolUse.name, outcome.question);
      return { kind: 'suspended' };
    }
    const applied = this.applyControls(turn, active, outcome.controls);
    const conversation = await this.updateAwaitedSecret(turn.conversation, applied.awaitedSecret);
    const saved = await this.save({
      ...turn,
      conversation,
      state: {
        ...turn.state,
        messages: appendMessage(turn.state.messages, { role: 'user', content: outcome.results }),
        turn: { ...active, groups: applied.groups },
        ...(outcome.projectId ? { focusProjectId: outcome.projectId } : {}),
      },
    });
    return applied.finished ? end(saved) : goOn(saved);
  }

  /** What the tools asked of the loop: end the turn, more tool groups, wait for a secret. */
  private applyControls(turn: Turn, active: TurnState, controls: ToolControl[]) {
    let groups = active.groups ?? [];
    let finished = false;
    let awaitedSecret = turn.conversation.awaitedSecret;
    for (const control of controls) {
      if (control.kind === 'finish') finished = true;
      if (control.kind === 'add_capabilities')
        groups = this.deps.registry.allowed(turn.principal, [...groups, ...control.groups]);
      if (control.kind === 'await_secret') {
        awaitedSecret = {
          projectId: control.projectId,
          key: control.key,
          expiresAt: this.seconds() + this.deps.limits.awaitSecretTtlSeconds,
        };
      }
    }
    return { groups, finished, awaitedSecret };
  }

  private async updateAwaitedSecret(
    conversation: ConversationState,
    awaitedSecret: ConversationState['awaitedSecret'],
  ): Promise<ConversationState> {
    if (awaitedSecret === conversation.awaitedSecret) return conversation;
    return this.deps.leases.update(conversation, { awaitedSecret });
  }

  /** The iteration cap and token budget: a turn that reaches either tells the person and ends. */
  private async stoppedAtLimits(active: TurnState, chatId: number): Promise<boolean> {
    const { limits, services, logger, telemetry } = this.deps;
    if (active.iterations >= limits.maxIterations) {
      await services.chat.send(
        chatId,
        `I stopped after ${limits.maxIterations} steps without finishing. Tell me how to go on.`,
      );
      logger.warn('agent iteration cap reached', { iterations: active.iterations });
      telemetry?.count('AgentStoppedAtIterationCap');
      return true;
    }
    if (active.tokens >= limits.maxTokensPerRequest) {
      await services.chat.send(
        chatId,
        'This request used up its model budget, so I stopped. Try a smaller step.',
      );
      logger.warn('agent token budget reached', { tokens: active.tokens });
      telemetry?.count('AgentStoppedAtBudget');
      return true;
    }
    return false;
  }

  /**
   * Before every model call: a person (or the project in focus) whose monthly budget is reached is
   * asked, with buttons bound to them, to raise it for this request or stop; nothing is spent
   * meanwhile. A stop ends the turn with a message. News from the system (a pipeline event) is
   * still delivered, in plain words and without a model.
   */
  private async budgetGate(turn: Turn, active: TurnState, chatId: number): Promise<Step | undefined> {
    const { budgets, chat } = this.deps.services;
    if (!budgets) return undefined;
    if (active.budgetStopped) {
      await chat.send(chatId, BUDGET_STOPPED);
      return end(turn);
    }
    const projectId = turn.state.focusProjectId;
    const check = await budgets.check({
      userId: turn.principal.userId,
      ...(projectId ? { projectId } : {}),
      allowanceKey: turnAllowanceKey(chatId, active.requestId),
    });
    if (!check.reached) return undefined;
    this.deps.logger.warn('agent turn stopped at a monthly budget', {
      scope: check.reached.scope.kind,
      spentMicros: check.reached.spentMicros,
      limitMicros: check.reached.limitMicros,
    });
    const events = latestPersonMessage(turn.state).flatMap((b) => {
      const event = b.type === 'system_note' ? systemEventOf(b) : undefined;
      return event ? [event] : [];
    });
    const typed = latestPersonMessage(turn.state).some((b) => b.type === 'text' && b.text.trim());
    if (!typed && events.length > 0) {
      await chat.send(chatId, eventsWithoutBudget(events));
      return end({ ...turn, state: { ...turn.state, turn: { ...active, budgetStopped: true } } });
    }
    await this.askConfirmation(
      turn,
      chatId,
      BUDGET_QUESTION,
      BUDGET_QUESTION,
      budgetQuestion(check.reached, budgets.raiseMicros),
      [`Raise for this request`, 'Stop'],
    );
    return { kind: 'suspended' };
  }

  /**
   * Every step so far is checkpointed: a worker about to run out of time stops here and the turn
   * goes on in the next one, instead of being cut off mid-call.
   */
  private pauseIfShortOfTime(): void {
    const remaining = this.deps.remainingMs?.();
    if (remaining !== undefined && remaining < this.deps.limits.modelCallReserveMs) {
      this.deps.logger.info('turn paused: not enough time left for a model call', { remainingMs: remaining });
      this.deps.telemetry?.count('AgentTurnPaused');
      throw new TurnPausedError();
    }
  }

  /** The intent parser picks the tool groups this turn is given. */
  private async selectCapabilities(turn: Turn, active: TurnState): Promise<Turn> {
    const intent = await this.callModel((signal) =>
      parseIntent(
        this.deps.intentModel,
        this.deps.registry,
        turn.principal,
        latestPersonMessage(turn.state),
        signal,
      ),
    );
    await this.recordUsage(turn, intent.response.modelId, intent.response.usage);
    return this.save({
      ...turn,
      state: {
        ...turn.state,
        turn: { ...active, groups: intent.groups, tokens: active.tokens + tokensOf(intent.response.usage) },
      },
    });
  }

  /** The agent model's next move, checkpointed; an answer without tool calls is sent and ends the turn. */
  private async askAgentModel(turn: Turn, active: TurnState, chatId: number): Promise<Step> {
    const tools = this.deps.registry.toolsFor(turn.principal, active.groups ?? []);
    const response = await this.callModel((signal) =>
      this.deps.agentModel.complete({
        purpose: 'agent_step',
        system: productOwnerPrompt(turn.principal, turn.state.summary, this.now()),
        messages: turn.state.messages,
        tools: tools.map(toolDefinition),
        maxTokens: 2000,
        ...(signal ? { signal } : {}),
      }),
    );
    await this.recordUsage(turn, response.modelId, response.usage);
    const content: ContentBlock[] =
      response.content.length > 0 ? response.content : [{ type: 'text', text: '…' }];
    const saved = await this.save({
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
    if (content.some((b) => b.type === 'tool_use')) return goOn(saved);
    await this.sendPlainAnswer(content, chatId);
    return end(saved);
  }

  /** A model that answers in text instead of respond_to_user is passed on as it is. */
  private async sendPlainAnswer(content: ContentBlock[], chatId: number): Promise<void> {
    const text = content
      .flatMap((b) => (b.type === 'text' ? [b.text] : []))
      .join('\n')
      .trim();
    if (text && text !== '…') await this.deps.services.chat.send(chatId, text);
  }

  private callModel<T>(call: (signal: AbortSignal | undefined) => Promise<T>): Promise<T> {
    return beforeDeadline(this.deps.remainingMs?.(), call);
  }

  private async askConfirmation(
    turn: Turn,
    chatId: number,
    toolUseId: string,
    toolName: string,
    question: string,
    [yes, no] = ['Confirm', 'Cancel'],
  ) {
    const nonce = randomBytes(8).toString('hex');
    this.deps.telemetry?.count('ConfirmationAsked');
    const { messageId } = await this.deps.services.chat.send(chatId, question, [
      [
        { text: yes, data: `cf:${nonce}:y` },
        { text: no, data: `cf:${nonce}:n` },
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
      ...closeOpenCalls(turn.state, 'turn_ended'),
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
    // A turn stopped at a budget spends nothing more, not even on a summary.
    if (!active?.budgetStopped) state = await this.summariseIfLong({ ...turn, state });
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
    let response: CompletionResponse;
    try {
      response = await this.callModel((signal) =>
        this.deps.intentModel.complete({
          purpose: 'summary',
          system: SUMMARISER_PROMPT,
          messages: [userText(summaryDocument(state.summary, older))],
          maxTokens: 600,
          temperature: 0,
          ...(signal ? { signal } : {}),
        }),
      );
    } catch (error) {
      // The turn is done: a summary cut off by the deadline waits for the next turn.
      if (error instanceof TurnPausedError) return state;
      throw error;
    }
    await this.recordUsage(turn, response.modelId, response.usage);
    const summary = response.content
      .flatMap((b) => (b.type === 'text' ? [b.text] : []))
      .join('\n')
      .trim()
      .slice(0, 6000);
    const { conversationSummaries } = this.deps.services;
    if (conversationSummaries && state.focusProjectId) {
      // For the project's knowledge (history scope); the turn never fails for it.
      await conversationSummaries
        .keep(turn.principal, state.focusProjectId, turn.conversation.threadId, summary)
        .catch((error: unknown) =>
          this.deps.logger.warn('conversation summary not kept', { error: String(error) }),
        );
    }
    return { ...state, summary, messages: state.messages.slice(cut) };
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

const tokensOf = (usage: { inputTokens: number; outputTokens: number }) =>
  usage.inputTokens + usage.outputTokens;
