import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../../lambdas/config/config.ts';
import { createWebhookHandler } from '../../../lambdas/handlers/webhook.ts';
import type { OutgoingMessage } from '../../../lambdas/ports/queue.ts';
import { lambdaObservability } from '../../../lambdas/runtime/lambda-observability.ts';
import { assembleRuntime } from '../../../lambdas/runtime/runtime.ts';
import { MemorySecrets } from '../../support/memory-secrets.ts';
import { MemoryStore } from '../../support/memory-store.ts';

const TOKEN = '7000000001:abc';
const SECRET = 'webhook-secret-token';

function event(body: string): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /telegram/webhook',
    rawPath: '/telegram/webhook',
    rawQueryString: '',
    headers: { 'x-telegram-bot-api-secret-token': SECRET },
    requestContext: {} as APIGatewayProxyEventV2['requestContext'],
    body,
    isBase64Encoded: false,
  };
}

const context = (requestId: string) =>
  ({
    awsRequestId: requestId,
    functionName: 'telegram-webhook',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:telegram-webhook',
    memoryLimitInMB: '512',
    getRemainingTimeInMillis: () => 10_000,
  }) as unknown as Context;

describe('the deployed handlers through Middy', () => {
  let lines: string[];
  const level = process.env.POWERTOOLS_LOG_LEVEL;
  beforeEach(() => {
    lines = [];
    process.env.POWERTOOLS_LOG_LEVEL = 'INFO';
    const capture = (chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    };
    vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    vi.spyOn(process.stderr, 'write').mockImplementation(capture);
  });
  afterEach(() => {
    vi.restoreAllMocks();
    process.env.POWERTOOLS_LOG_LEVEL = level;
  });

  it("stamps the webhook's log lines with the request, and sends its counters as one EMF line per invocation", async () => {
    // Prepare
    const observability = lambdaObservability('telegram-webhook');
    const config = loadConfig({
      TELEGRAM_BOT_USERNAME: 'orchestrator_bot',
      QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/updates.fifo',
      METRICS_DRIVER: 'emf',
    });
    const sent: OutgoingMessage[] = [];
    const queue = {
      send: async (m: OutgoingMessage) => void sent.push(m),
      receive: async () => [],
      delete: async () => undefined,
      changeVisibility: async () => undefined,
    };
    const secrets = new MemorySecrets();
    await secrets.put(config.secretIds.botToken, TOKEN);
    await secrets.put(config.secretIds.webhookSecret, SECRET);
    const runtime = assembleRuntime(
      config,
      { store: new MemoryStore(), queue, secrets, telemetry: observability.telemetry },
      observability.logger,
    );
    const handler = createWebhookHandler(() => runtime, observability.middlewares);
    const update = {
      update_id: 41,
      message: {
        message_id: 1,
        date: 1,
        chat: { id: 5, type: 'private' },
        from: { id: 5, is_bot: false, first_name: 'A' },
        text: 'hi',
      },
    };

    // Act
    const response = await handler(event(JSON.stringify(update)), context('req-1'));

    // Assess
    expect(response).toEqual({ statusCode: 200 });
    expect(sent).toHaveLength(1);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.find((r) => r.message === 'update queued')).toMatchObject({
      function_request_id: 'req-1',
      cold_start: expect.any(Boolean),
      service: 'telegram-webhook',
      updateId: 41,
    });
    const emf = records.filter((r) => '_aws' in r);
    expect(emf).toHaveLength(1);
    expect(emf[0]).toMatchObject({ UpdateQueued: 1, service: 'telegram-webhook' });
  });
});
