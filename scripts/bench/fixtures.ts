import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';

/**
 * What the bench feeds both handlers: a Telegram text message from one user in a private chat,
 * wrapped in the API Gateway v2 event the HTTP API delivers, with Telegram's secret header.
 * Shared by the bench and its child runner (which esbuild bundles, so no `lambdas/` import here:
 * that would drag zod into the runner).
 */
export const SECRET_HEADER = 'x-telegram-bot-api-secret-token';

export interface UpdateSpec {
  secretToken: string;
  /** Sender and chat id: an ADMIN_TELEGRAM_IDS entry for our handler, so no user lookup. */
  userId: number;
}

export function telegramUpdate(updateId: number, userId: number) {
  return {
    update_id: updateId,
    message: {
      message_id: updateId,
      date: 1_700_000_000,
      chat: { id: userId, type: 'private', first_name: 'Bench' },
      from: { id: userId, is_bot: false, first_name: 'Bench', language_code: 'en' },
      text: `bench update ${updateId}`,
    },
  };
}

export function webhookEvent(spec: UpdateSpec, updateId: number): APIGatewayProxyEventV2 {
  const body = JSON.stringify(telegramUpdate(updateId, spec.userId));
  return {
    version: '2.0',
    routeKey: 'POST /telegram/webhook',
    rawPath: '/telegram/webhook',
    rawQueryString: '',
    headers: {
      'content-type': 'application/json',
      'content-length': String(Buffer.byteLength(body)),
      host: 'bench.execute-api.eu-west-1.amazonaws.com',
      [SECRET_HEADER]: spec.secretToken,
    },
    body,
    isBase64Encoded: false,
    requestContext: {
      accountId: '000000000000',
      apiId: 'bench',
      domainName: 'bench.execute-api.eu-west-1.amazonaws.com',
      domainPrefix: 'bench',
      http: {
        method: 'POST',
        path: '/telegram/webhook',
        protocol: 'HTTP/1.1',
        sourceIp: '149.154.167.220',
        userAgent: '',
      },
      requestId: `bench-${updateId}`,
      routeKey: 'POST /telegram/webhook',
      stage: '$default',
      time: new Date(0).toISOString(),
      timeEpoch: 0,
    },
  };
}

/** A Lambda context with a 10 s deadline (the deployed timeout), so Middy's timeout guard runs as in AWS. */
export function lambdaContext(requestId: string): Context {
  const deadline = Date.now() + 10_000;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'bench',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:eu-west-1:000000000000:function:bench',
    memoryLimitInMB: '512',
    awsRequestId: requestId,
    logGroupName: 'bench',
    logStreamName: 'bench',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}
