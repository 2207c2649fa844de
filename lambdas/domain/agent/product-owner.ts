import type { Principal } from '../access/access-policy.ts';
import type { ConversationState } from '../conversations/conversation-state.ts';
import { turnAllowanceKey } from '../usage/budgets.ts';
import type { ProductOwnerDeps } from './agent-deps.ts';
import { closeOpenCalls, emptyAgentState, type TurnState } from './agent-state.ts';
import { BUDGET_QUESTION } from './budget-gate.ts';
import { InjectedCrash } from './crash-points.ts';
import { type PersonInput, systemNote } from './system-events.ts';
import { appendMessage, personMessage } from './transcript.ts';
import type { Turn } from './turn.ts';
import { TurnRunner } from './turn-runner.ts';

export type { AgentLimits, ProductOwnerDeps } from './agent-deps.ts';

export type ConfirmationOutcome = 'accepted' | 'stale' | 'expired' | 'not_yours';

/**
 * The Product Owner agent: an intent parser picks capability groups, then a tool loop with an
 * iteration cap and a token budget works the request. Every step is checkpointed, every tool
 * call journaled, and the conversation is leased, so a crash anywhere resumes where it stopped.
 */
export class ProductOwner {
  private readonly now: () => Date;
  private readonly runner: TurnRunner;

  constructor(private readonly deps: ProductOwnerDeps) {
    this.now = deps.now ?? (() => new Date());
    this.runner = new TurnRunner(deps);
  }

  /**
   * A message from the person (already stripped of secrets): their text, and what the system
   * reports with it (e.g. a secret stored from the chat) as typed events, which reach the model
   * as system notes, apart from anything the person typed.
   */
  async handleMessage(
    principal: Principal,
    chatId: number,
    requestId: string,
    input: string | PersonInput,
  ): Promise<void> {
    const message = typeof input === 'string' ? { text: input } : input;
    await this.givingBackOnError(chatId, requestId, () =>
      this.startTurn(principal, chatId, requestId, message),
    );
  }

  private async startTurn(
    principal: Principal,
    chatId: number,
    requestId: string,
    input: PersonInput,
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
      state = closeOpenCalls(state, cancelled ? 'confirmation_abandoned' : 'new_message');
      state = {
        ...state,
        messages: appendMessage(
          state.messages,
          personMessage(input.text, (input.events ?? []).map(systemNote)),
        ),
        turn: { requestId, iterations: 0, tokens: 0, decisions: {} },
      };
      turn = { principal, conversation, seq: turn.seq, state };
      turn = await this.runner.save(turn);
    }
    await this.runner.run(turn, chatId);
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
    const budget = asked.toolName === BUDGET_QUESTION;
    const said = budget
      ? approved
        ? 'Raised for this request.'
        : 'Stopped.'
      : approved
        ? 'Confirmed.'
        : 'Cancelled.';
    await this.deps.services.chat
      .edit(chatId, asked.messageId ?? 0, `${asked.prompt}\n\n${said}`)
      .catch(() => undefined);
    const checkpoint = await this.deps.checkpoints.latest(conversation.threadId);
    const state = checkpoint?.state ?? emptyAgentState();
    if (!state.turn) {
      await this.deps.leases.release(conversation);
      return 'stale';
    }
    const answered: TurnState = { ...state.turn, answered: [...(state.turn.answered ?? []), nonce] };
    if (budget && approved) {
      // A one-off allowance for this request only, granted once however often the press arrives.
      await this.deps.services.budgets?.grantAllowance(
        turnAllowanceKey(chatId, state.turn.requestId),
        nonce,
        principal.userId,
      );
    }
    const turn = await this.runner.save({
      principal,
      conversation,
      seq: checkpoint?.seq ?? 0,
      state: {
        ...state,
        turn: budget
          ? { ...answered, ...(approved ? {} : { budgetStopped: true }) }
          : { ...answered, decisions: { ...state.turn.decisions, [asked.toolUseId]: approved } },
      },
    });
    await this.runner.run(turn, chatId);
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
    await this.runner.run({ principal, conversation, seq: latest.seq, state: latest.state }, chatId);
    return 'accepted';
  }

  private seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }
}
