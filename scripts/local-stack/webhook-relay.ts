import { createServer } from 'node:http';
import { setTimeout as sleep } from 'node:timers/promises';
import { close, listen, readBody } from './http-util.ts';

/**
 * Stands where Telegram's delivery service stands. The emulator POSTs updates here without the
 * secret header; the relay answers it at once, then delivers the updates one at a time, in order,
 * with the `X-Telegram-Bot-Api-Secret-Token` header, retrying with backoff as Telegram does when
 * the webhook does not answer 200.
 */
export interface WebhookRelay {
  url: string;
  /** Resolves when every accepted update has been delivered or given up on. */
  drain(): Promise<void>;
  stop(): Promise<void>;
}

export interface RelayOptions {
  target: string;
  secretToken: string;
  maxAttempts?: number;
  onGiveUp?: (body: string, status: number | string) => void;
}

export async function startWebhookRelay(options: RelayOptions): Promise<WebhookRelay> {
  const maxAttempts = options.maxAttempts ?? 5;
  let chain = Promise.resolve();

  const deliver = async (body: string) => {
    let lastStatus: number | string = 'not sent';
    for (let attempt = 1; attempt <= maxAttempts; attempt++) {
      try {
        const response = await fetch(options.target, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            'x-telegram-bot-api-secret-token': options.secretToken,
          },
          body,
        });
        await response.arrayBuffer();
        if (response.ok) return;
        lastStatus = response.status;
        if (response.status < 500) break; // a 4xx will not change on retry
      } catch (error) {
        lastStatus = String(error);
      }
      await sleep(Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2));
    }
    options.onGiveUp?.(body, lastStatus);
  };

  const server = createServer(async (request, response) => {
    const body = await readBody(request, 1_048_576);
    response.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}');
    if (body !== undefined) chain = chain.then(() => deliver(body));
  });
  const url = await listen(server, 0);
  return {
    url,
    drain: () => chain,
    stop: async () => {
      await chain;
      await close(server);
    },
  };
}
