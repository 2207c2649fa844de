import { BotError, GrammyError } from 'grammy';
import { MESSAGES } from '../bot/messages.ts';
import { TurnPausedError } from '../domain/agent/turn-runner.ts';
import { ConversationBusyError } from '../domain/conversations/conversation-lease.ts';
import { DomainError } from '../domain/errors.ts';
import { LanguageModelError } from '../ports/language-model.ts';

/**
 * What a failed attempt at an update means for the next one:
 * - `bounce`: nothing went wrong with this update (its chat is busy, or the turn paused for
 *   time); look again after `afterMs`, and do not count it as a failure.
 * - `permanent`: the same update would fail the same way on every try (bad input, a model that
 *   refuses the request, a bug); tell the person and drop it now instead of parking the chat.
 * - `unreachable`: Telegram refuses to deliver to this chat (blocked, deleted); nobody to tell.
 * - `transient`: an outage; try again later, with growing delays, up to a limit.
 */
export type FailureKind =
  | { kind: 'bounce'; afterMs: number }
  | { kind: 'permanent'; reason: string; personMessage?: string }
  | { kind: 'unreachable' }
  | { kind: 'transient'; reason: string; notBeforeMs?: number };

/** SQS takes at most 12 h for a visibility timeout; a busy chat is looked at within 15 min. */
const MAX_BOUNCE_MS = 900_000;

/** Sorts an error from handling an update (grammY wraps middleware errors in a BotError). */
export function classifyFailure(thrown: unknown): FailureKind {
  const error = unwrap(thrown);
  if (error instanceof ConversationBusyError) {
    return { kind: 'bounce', afterMs: Math.min(error.retryAfterSeconds * 1000, MAX_BOUNCE_MS) };
  }
  if (error instanceof TurnPausedError) return { kind: 'bounce', afterMs: 1_000 };
  if (error instanceof GrammyError) {
    if (error.error_code === 403) return { kind: 'unreachable' };
    if (error.error_code === 429 || error.error_code >= 500) {
      const retryAfter = error.parameters?.retry_after;
      return {
        kind: 'transient',
        reason: `telegram ${error.error_code}`,
        ...(retryAfter ? { notBeforeMs: retryAfter * 1000 } : {}),
      };
    }
    return { kind: 'permanent', reason: `telegram ${error.error_code}` };
  }
  if (error instanceof LanguageModelError) {
    return error.retryable
      ? { kind: 'transient', reason: `model ${error.provider} ${error.status ?? ''}`.trim() }
      : {
          kind: 'permanent',
          reason: `model ${error.provider} refused the request ${error.status ?? ''}`.trim(),
          personMessage: MESSAGES.modelRefused,
        };
  }
  if (error instanceof DomainError) {
    return { kind: 'permanent', reason: `domain ${error.code}`, personMessage: error.message };
  }
  // A bug in our code fails the same input the same way every time: retrying only parks the chat.
  if (
    error instanceof TypeError ||
    error instanceof RangeError ||
    error instanceof SyntaxError ||
    error instanceof ReferenceError
  ) {
    return { kind: 'permanent', reason: error.name, personMessage: MESSAGES.couldNotHandle };
  }
  return { kind: 'transient', reason: error instanceof Error ? error.name : typeof error };
}

/** The error grammY wrapped in a BotError, or the error itself. */
export function unwrap(error: unknown): unknown {
  return error instanceof BotError ? error.error : error;
}
