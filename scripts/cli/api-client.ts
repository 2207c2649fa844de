import type { Connection } from './connection.ts';
import { CliError, EXIT, exitCodeForStatus } from './exit-codes.ts';

export interface StreamEvent {
  event: string;
  id?: string;
  data: unknown;
}

/** The admin API over fetch: JSON in and out, problem documents turned into CliErrors with exit codes. */
export class ApiClient {
  constructor(private readonly connection: Connection) {}

  async request<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await this.fetch(path, {
      method,
      headers: {
        ...this.auth(),
        ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await response.text();
    if (!response.ok) throw problemError(response, text);
    return (text ? JSON.parse(text) : {}) as T;
  }

  /**
   * A run's server-sent events until `end`. When the stream closes before that (the deployed API
   * answers the events so far and closes), reconnects with Last-Event-ID after the `retry:` delay.
   */
  async *events(path: string, signal?: AbortSignal): AsyncIterable<StreamEvent> {
    let lastEventId: string | undefined;
    let retryMs = 2000;
    for (;;) {
      const response = await this.fetch(path, {
        headers: {
          ...this.auth(),
          accept: 'text/event-stream',
          ...(lastEventId ? { 'last-event-id': lastEventId } : {}),
        },
        ...(signal ? { signal } : {}),
      });
      if (!response.ok || !response.body) throw problemError(response, await response.text());
      const decoder = new TextDecoder();
      let buffer = '';
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffer += decoder.decode(chunk, { stream: true });
        let end = buffer.indexOf('\n\n');
        while (end >= 0) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          end = buffer.indexOf('\n\n');
          const fields = parseBlock(block);
          if (fields.retry) retryMs = Number(fields.retry) || retryMs;
          if (fields.id) lastEventId = fields.id;
          if (!fields.event || fields.data === undefined) continue;
          const event = {
            event: fields.event,
            data: JSON.parse(fields.data) as unknown,
            ...(fields.id ? { id: fields.id } : {}),
          };
          yield event;
          if (event.event === 'end') return;
        }
      }
      await new Promise((r) => setTimeout(r, retryMs));
    }
  }

  private auth(): Record<string, string> {
    return { authorization: `Bearer ${this.connection.key}` };
  }

  private async fetch(path: string, init: RequestInit): Promise<Response> {
    try {
      return await fetch(`${this.connection.url}${path}`, init);
    } catch (error) {
      if ((error as Error).name === 'AbortError') throw error;
      throw new CliError(
        `Cannot reach the API at ${this.connection.url} (from ${this.connection.source}): is the stack running? (${(error as Error).cause ?? error})`,
        EXIT.unavailable,
      );
    }
  }
}

function parseBlock(block: string): Record<string, string> {
  const fields: Record<string, string> = {};
  for (const line of block.split('\n')) {
    const colon = line.indexOf(':');
    if (colon <= 0) continue;
    const name = line.slice(0, colon);
    const value = line.slice(colon + 1).replace(/^ /, '');
    fields[name] = name === 'data' && fields.data !== undefined ? `${fields.data}\n${value}` : value;
  }
  return fields;
}

function problemError(response: Response, text: string): CliError {
  let detail = `${response.status} ${response.statusText}`;
  try {
    const problem = JSON.parse(text) as { title?: string; detail?: string };
    detail = problem.detail ?? problem.title ?? detail;
  } catch {
    // Not a problem document (a gateway's own answer): the status says enough.
  }
  const retry = response.headers.get('retry-after');
  return new CliError(
    retry ? `${detail} (retry after ${retry} s)` : detail,
    exitCodeForStatus(response.status),
  );
}
