import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  handleWebhookRequest,
  SECRET_HEADER,
  type WebhookGate,
} from '../../../lambdas/app/webhook-request.ts';
import { createLogger } from '../../../lambdas/shared/logger.ts';

const SECRET = 'a-webhook-secret-of-32-characters';
const MAX_BYTES = 1024;
const UPDATE = JSON.stringify({
  update_id: 5,
  message: { message_id: 1, date: 1_767_225_600, chat: { id: 7, type: 'private' }, text: 'hi' },
});

function event(overrides: Partial<APIGatewayProxyEventV2> = {}): APIGatewayProxyEventV2 {
  return {
    version: '2.0',
    routeKey: 'POST /telegram/webhook',
    rawPath: '/telegram/webhook',
    rawQueryString: '',
    headers: { 'content-type': 'application/json', [SECRET_HEADER]: SECRET },
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'example.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'example',
      http: {
        method: 'POST',
        path: '/telegram/webhook',
        protocol: 'HTTP/1.1',
        sourceIp: '149.154.160.1',
        userAgent: '',
      },
      requestId: 'req-1',
      routeKey: 'POST /telegram/webhook',
      stage: '$default',
      time: '01/Jan/2026:00:00:00 +0000',
      timeEpoch: 1_767_225_600_000,
    },
    body: UPDATE,
    isBase64Encoded: false,
    ...overrides,
  };
}

/** A gate whose forward records what reached grammY and answers 200. */
function recordingGate() {
  const forwarded: APIGatewayProxyEventV2[] = [];
  const gate: WebhookGate = {
    secretToken: SECRET,
    maxUpdateBytes: MAX_BYTES,
    forward: async (e) => {
      forwarded.push(e);
      return { statusCode: 200, body: 'forwarded' } satisfies APIGatewayProxyStructuredResultV2;
    },
    logger: createLogger('webhook-request-test'),
  };
  return { gate, forwarded };
}

const errorOf = (result: APIGatewayProxyStructuredResultV2) =>
  JSON.parse(String(result.body)) as { error: string };

describe('handleWebhookRequest: the secret token', () => {
  it.each([
    { what: 'no secret header', headers: { 'content-type': 'application/json' } },
    { what: 'an empty secret', headers: { [SECRET_HEADER]: '' } },
    { what: 'a wrong secret of the same length', headers: { [SECRET_HEADER]: `${SECRET.slice(0, -1)}X` } },
    { what: 'a shorter secret', headers: { [SECRET_HEADER]: SECRET.slice(0, 10) } },
    { what: 'a longer secret', headers: { [SECRET_HEADER]: `${SECRET}x` } },
    { what: 'the secret in another header', headers: { authorization: SECRET } },
    { what: 'the secret with a multi-byte twist', headers: { [SECRET_HEADER]: `${SECRET.slice(0, -1)}é` } },
  ])('answers 401 to $what and never forwards', async ({ headers }) => {
    // Prepare
    const { gate, forwarded } = recordingGate();

    // Act
    const result = await handleWebhookRequest(event({ headers }), gate);

    // Assess
    expect(result.statusCode).toBe(401);
    expect(errorOf(result)).toEqual({ error: 'unauthorized' });
    expect(forwarded).toEqual([]);
  });

  it('answers 401 to every request when the expected secret is empty', async () => {
    // Prepare
    const { gate, forwarded } = recordingGate();
    gate.secretToken = '';

    // Act
    const result = await handleWebhookRequest(event({ headers: { [SECRET_HEADER]: '' } }), gate);

    // Assess
    expect(result.statusCode).toBe(401);
    expect(forwarded).toEqual([]);
  });

  it('checks the secret before the body, so a stranger learns nothing about body rules', async () => {
    // Prepare
    const { gate } = recordingGate();

    // Act
    const result = await handleWebhookRequest(event({ headers: {}, body: 'not json' }), gate);

    // Assess
    expect(result.statusCode).toBe(401);
  });

  it.each(['X-Telegram-Bot-Api-Secret-Token', 'X-TELEGRAM-BOT-API-SECRET-TOKEN', SECRET_HEADER])(
    'finds the secret under the header name %s',
    async (name) => {
      // Prepare
      const { gate, forwarded } = recordingGate();

      // Act
      const result = await handleWebhookRequest(event({ headers: { [name]: SECRET } }), gate);

      // Assess
      expect(result.statusCode).toBe(200);
      expect(forwarded).toHaveLength(1);
    },
  );
});

describe('handleWebhookRequest: the body', () => {
  const padded = (bytes: number, filler: string) => {
    const head = '{"update_id":1,"pad":"';
    const tail = '"}';
    const fillerBytes = Buffer.byteLength(filler);
    const room = bytes - Buffer.byteLength(head + tail);
    return head + filler.repeat(Math.floor(room / fillerBytes)) + tail;
  };

  it.each([
    { what: 'ASCII one byte over', body: padded(MAX_BYTES + 1, 'a') },
    { what: 'two-byte characters, fewer characters than the limit', body: padded(MAX_BYTES + 2, 'é') },
    { what: 'four-byte emoji, fewer UTF-16 units than the limit', body: padded(MAX_BYTES + 4, '\u{1F600}') },
  ])('answers 400 to a body of $what', async ({ body }) => {
    // Prepare
    const { gate, forwarded } = recordingGate();
    expect(body.length).toBeLessThanOrEqual(MAX_BYTES + 1);

    // Act
    const result = await handleWebhookRequest(event({ body }), gate);

    // Assess
    expect(result.statusCode).toBe(400);
    expect(errorOf(result)).toEqual({ error: `update larger than ${MAX_BYTES} bytes` });
    expect(forwarded).toEqual([]);
  });

  it('forwards a body of exactly the limit', async () => {
    // Prepare
    const { gate, forwarded } = recordingGate();
    const body = padded(MAX_BYTES, 'a');
    expect(Buffer.byteLength(body)).toBe(MAX_BYTES);

    // Act
    const result = await handleWebhookRequest(event({ body }), gate);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(forwarded).toHaveLength(1);
  });

  it('measures a base64 body after decoding it', async () => {
    // Prepare: the base64 text is a third larger than the limit, the update itself fits.
    const { gate, forwarded } = recordingGate();
    const body = padded(MAX_BYTES - 10, 'a');
    const encoded = Buffer.from(body).toString('base64');
    expect(encoded.length).toBeGreaterThan(MAX_BYTES);

    // Act
    const result = await handleWebhookRequest(event({ body: encoded, isBase64Encoded: true }), gate);

    // Assess
    expect(result.statusCode).toBe(200);
    expect(forwarded[0]?.body).toBe(body);
  });

  it.each([
    { what: 'no body', body: undefined, reason: 'body is not JSON' },
    { what: 'text', body: 'hello', reason: 'body is not JSON' },
    { what: 'an array', body: '[]', reason: 'body is not a Telegram update (no integer update_id)' },
    {
      what: 'a field nested 40 levels deep',
      body: `{"update_id":1,"message":${'['.repeat(40)}${']'.repeat(40)}}`,
      reason: 'body is nested deeper than 32 levels',
    },
    {
      what: 'a number as message text',
      body: '{"update_id":1,"message":{"message_id":1,"date":1,"chat":{"id":7,"type":"private"},"text":12345}}',
      reason: 'not a Telegram update: message.text Invalid input: expected string, received number',
    },
    {
      what: 'a string update_id',
      body: '{"update_id":"1"}',
      reason: 'body is not a Telegram update (no integer update_id)',
    },
  ])('answers 400 with the reason to $what', async ({ body, reason }) => {
    // Prepare
    const { gate, forwarded } = recordingGate();

    // Act
    const result = await handleWebhookRequest(event({ body }), gate);

    // Assess
    expect(result).toEqual({
      statusCode: 400,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ error: reason }),
    });
    expect(forwarded).toEqual([]);
  });
});

describe('handleWebhookRequest: a valid update', () => {
  it("forwards it with lower-cased headers and returns grammY's answer", async () => {
    // Prepare
    const { gate, forwarded } = recordingGate();
    const request = event({
      headers: { 'Content-Type': 'application/json', 'X-Telegram-Bot-Api-Secret-Token': SECRET },
    });

    // Act
    const result = await handleWebhookRequest(request, gate);

    // Assess
    expect(result).toEqual({ statusCode: 200, body: 'forwarded' });
    expect(forwarded).toHaveLength(1);
    expect(forwarded[0]?.headers).toEqual({ 'content-type': 'application/json', [SECRET_HEADER]: SECRET });
    expect(forwarded[0]?.body).toBe(UPDATE);
    expect(forwarded[0]?.requestContext).toEqual(request.requestContext);
  });

  it('forwards a base64 body decoded, marked as not encoded', async () => {
    // Prepare
    const { gate, forwarded } = recordingGate();
    const update = JSON.stringify({
      update_id: 9,
      message: { message_id: 2, date: 1, chat: { id: 7, type: 'private' }, text: 'grüße \u{1F600}' },
    });

    // Act
    await handleWebhookRequest(
      event({ body: Buffer.from(update).toString('base64'), isBase64Encoded: true }),
      gate,
    );

    // Assess
    expect(forwarded[0]?.body).toBe(update);
    expect(forwarded[0]?.isBase64Encoded).toBe(false);
  });

  it("passes grammY's failure on to the caller", async () => {
    // Prepare
    const { gate } = recordingGate();
    gate.forward = async () => {
      throw new Error('queue down');
    };

    // Act
    const handling = handleWebhookRequest(event(), gate);

    // Assess
    await expect(handling).rejects.toThrow('queue down');
  });
});

describe('handleWebhookRequest: counters an operator alarms on', () => {
  it('counts a wrong secret as WebhookUnauthorized and a malformed body as WebhookRejected', async () => {
    // Prepare
    const { gate } = recordingGate();
    const counted: string[] = [];
    gate.telemetry = { count: (name) => counted.push(name), flush: () => undefined };

    // Act
    await handleWebhookRequest(event({ headers: { [SECRET_HEADER]: 'wrong' } }), gate);
    await handleWebhookRequest(event({ body: '{"update_id":1,"message":{"text":true}}' }), gate);
    await handleWebhookRequest(event(), gate);

    // Assess
    expect(counted).toEqual(['WebhookUnauthorized', 'WebhookRejected']);
  });
});
