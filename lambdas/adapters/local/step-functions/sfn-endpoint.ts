import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SfnJsonReply } from './sfn-json-protocol.ts';

export interface SfnJsonHandler {
  handleSfnJsonRequest(target: string, body: unknown): Promise<SfnJsonReply>;
}

export interface SfnEndpoint {
  /** For `new SFNClient({ endpoint: url })` or `AWS_ENDPOINT_URL_SFN`. */
  url: string;
  close(): Promise<void>;
}

/** Serves the Step Functions JSON API of a local runner on loopback only (no auth: local use). */
export async function startSfnEndpoint(local: SfnJsonHandler, port = 0): Promise<SfnEndpoint> {
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    let reply: SfnJsonReply;
    try {
      const text = Buffer.concat(chunks).toString('utf8');
      reply = await local.handleSfnJsonRequest(
        String(request.headers['x-amz-target'] ?? ''),
        text ? JSON.parse(text) : {},
      );
    } catch (error) {
      reply = { status: 400, body: { __type: 'SerializationException', message: String(error) } };
    }
    response.writeHead(reply.status, { 'content-type': 'application/x-amz-json-1.0' });
    response.end(JSON.stringify(reply.body));
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${address.port}`,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
