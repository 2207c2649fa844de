import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A tiny AWS JSON-RPC endpoint (the protocol of SQS, JSON 1.0, and Secrets Manager, JSON 1.1) for
 * contract tests: real SDK clients point at it, it records every request and answers from the
 * handler registered for the `X-Amz-Target` operation. Handlers return a body or throw `awsError`.
 */
export interface AwsJsonCall {
  /** `X-Amz-Target`, e.g. `AmazonSQS.SendMessage` or `secretsmanager.GetSecretValue`. */
  target: string;
  contentType: string | undefined;
  headers: IncomingHttpHeaders;
  body: Record<string, unknown>;
}

export type AwsJsonHandler = (body: Record<string, unknown>, call: AwsJsonCall) => unknown;

export class AwsJsonError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly status = 400,
    /** Sent as `x-amzn-query-error` (`Code;Sender`), which query-compatible services such as SQS add. */
    readonly queryErrorCode?: string,
  ) {
    super(message);
  }
}

export interface AwsJsonServer {
  endpoint: string;
  calls: AwsJsonCall[];
  /** Replaces or adds handlers, keyed by full target. */
  handle(handlers: Record<string, AwsJsonHandler>): void;
  callsTo(target: string): AwsJsonCall[];
  close(): Promise<void>;
}

export async function startAwsJsonServer(): Promise<AwsJsonServer> {
  const handlers = new Map<string, AwsJsonHandler>();
  const calls: AwsJsonCall[] = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const call: AwsJsonCall = {
      target: String(request.headers['x-amz-target'] ?? ''),
      contentType: request.headers['content-type'],
      headers: request.headers,
      body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>,
    };
    calls.push(call);
    const reply = (status: number, payload: unknown, extra: Record<string, string> = {}) => {
      response.writeHead(status, {
        'content-type': call.contentType ?? 'application/x-amz-json-1.1',
        ...extra,
      });
      response.end(JSON.stringify(payload));
    };
    const handler = handlers.get(call.target);
    if (!handler) {
      reply(400, { __type: 'UnknownOperationException', message: `No handler for ${call.target}` });
      return;
    }
    try {
      reply(200, (await handler(call.body, call)) ?? {});
    } catch (error) {
      if (!(error instanceof AwsJsonError)) {
        reply(500, { __type: 'InternalFailure', message: String(error) });
        return;
      }
      const extra: Record<string, string> = error.queryErrorCode
        ? { 'x-amzn-query-error': `${error.queryErrorCode};Sender` }
        : {};
      reply(error.status, { __type: error.type, message: error.message }, extra);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    handle: (more) => {
      for (const [target, handler] of Object.entries(more)) handlers.set(target, handler);
    },
    callsTo: (target) => calls.filter((c) => c.target === target),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
