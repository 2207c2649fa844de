import type { SseEvent } from './route.ts';

/** One event in the text/event-stream format; data is JSON on one line. */
export function formatSse(event: SseEvent): string {
  return `${event.id !== undefined ? `id: ${event.id}\n` : ''}event: ${event.event}\ndata: ${JSON.stringify(event.data)}\n\n`;
}

/** Tells an EventSource client how soon to reconnect (with Last-Event-ID) after a stream ends. */
export const RETRY_FIELD = (ms: number) => `retry: ${ms}\n\n`;
