import { timingSafeEqual } from 'node:crypto';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { parseUpdate } from '../domain/updates/update-envelope.ts';
import type { Telemetry } from '../ports/telemetry.ts';
import type { Logger } from '../shared/logger.ts';

export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface WebhookGate {
  secretToken: string;
  maxUpdateBytes: number;
  /** grammY's webhookCallback for the front-door bot. */
  forward: (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;
  logger: Logger;
  telemetry?: Telemetry;
}

const reply = (statusCode: number, error?: string): APIGatewayProxyStructuredResultV2 =>
  error
    ? { statusCode, headers: { 'content-type': 'application/json' }, body: JSON.stringify({ error }) }
    : { statusCode };

/**
 * Checks an HTTP request before anything touches state: the secret token first (401), then the
 * body's size and shape (400). Only a verified, well-formed update reaches grammY.
 */
export async function handleWebhookRequest(
  event: APIGatewayProxyEventV2,
  gate: WebhookGate,
): Promise<APIGatewayProxyStructuredResultV2> {
  const headers = lowerCaseHeaders(event.headers);
  if (!secretMatches(headers[SECRET_HEADER], gate.secretToken)) {
    gate.logger.warn('webhook rejected: bad secret token');
    // A burst of these is someone probing the URL or a rotated secret Telegram does not have.
    gate.telemetry?.count('WebhookUnauthorized');
    return reply(401, 'unauthorized');
  }
  const rawBody = event.body ?? '';
  const body = event.isBase64Encoded ? Buffer.from(rawBody, 'base64').toString('utf8') : rawBody;
  const size = Buffer.byteLength(body, 'utf8');
  if (size > gate.maxUpdateBytes) {
    gate.logger.warn('webhook rejected: body too large', { size });
    gate.telemetry?.count('WebhookRejected');
    return reply(400, `update larger than ${gate.maxUpdateBytes} bytes`);
  }
  const parsed = parseUpdate(body);
  if (!parsed.ok) {
    gate.logger.warn('webhook rejected: malformed update', { reason: parsed.reason });
    gate.telemetry?.count('WebhookRejected');
    return reply(400, parsed.reason);
  }
  return gate.forward({ ...event, headers, body, isBase64Encoded: false });
}

function lowerCaseHeaders(headers: APIGatewayProxyEventV2['headers'] | undefined): Record<string, string> {
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value !== undefined) result[name.toLowerCase()] = value;
  }
  return result;
}

/** Constant-time comparison so the token cannot be guessed byte by byte from response times. */
function secretMatches(given: string | undefined, expected: string): boolean {
  if (!given || expected.length === 0) return false;
  const a = Buffer.from(given);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}
