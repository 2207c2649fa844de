import type { RunHistoryEvent } from '../../../ports/pipelines.ts';

/**
 * Step Functions' history events carry their data in one `<type>EventDetails` member, except that
 * every `*StateEntered` / `*StateExited` event uses `stateEnteredEventDetails` /
 * `stateExitedEventDetails`. Shared by the AWS adapter (reading) and the local JSON endpoint
 * (writing), so both sides of the wire agree on one mapping.
 */
export function detailsKey(type: string): string {
  if (type.endsWith('StateEntered')) return 'stateEnteredEventDetails';
  if (type.endsWith('StateExited')) return 'stateExitedEventDetails';
  return `${type.charAt(0).toLowerCase()}${type.slice(1)}EventDetails`;
}

export interface WireHistoryEvent {
  id: number;
  previousEventId?: number;
  type: string;
  /** Epoch seconds on the JSON wire; a Date once the SDK has parsed it. */
  timestamp: number | Date;
  [details: string]: unknown;
}

/** Port event -> AWS JSON shape (what GetExecutionHistory answers). */
export function toWireHistoryEvent(event: RunHistoryEvent): WireHistoryEvent {
  const details: Record<string, string> = {};
  if (event.stateName !== undefined) details.name = event.stateName;
  if (event.input !== undefined) details.input = event.input;
  if (event.output !== undefined) details.output = event.output;
  if (event.error !== undefined) details.error = event.error;
  if (event.cause !== undefined) details.cause = event.cause;
  return {
    id: event.id,
    ...(event.previousEventId !== undefined ? { previousEventId: event.previousEventId } : {}),
    type: event.type,
    timestamp: Date.parse(event.timestamp) / 1000,
    ...(Object.keys(details).length > 0 ? { [detailsKey(event.type)]: details } : {}),
  };
}

/** AWS shape (as the SDK returns it) -> port event; the state name only on entered/exited events. */
export function fromWireHistoryEvent(event: WireHistoryEvent): RunHistoryEvent {
  const details = (event[detailsKey(event.type)] ?? {}) as Record<string, unknown>;
  const text = (key: string) => (typeof details[key] === 'string' ? (details[key] as string) : undefined);
  const isStateEvent = event.type.endsWith('StateEntered') || event.type.endsWith('StateExited');
  const result: RunHistoryEvent = {
    id: event.id,
    type: event.type,
    timestamp: new Date(
      event.timestamp instanceof Date ? event.timestamp.getTime() : event.timestamp * 1000,
    ).toISOString(),
  };
  if (event.previousEventId !== undefined) result.previousEventId = event.previousEventId;
  const stateName = isStateEvent ? text('name') : undefined;
  if (stateName !== undefined) result.stateName = stateName;
  for (const key of ['input', 'output', 'error', 'cause'] as const) {
    const value = text(key);
    if (value !== undefined) result[key] = value;
  }
  return result;
}
