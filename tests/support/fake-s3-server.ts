import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local S3 endpoint for the three object calls the blob store makes (path-style
 * `GET|PUT|DELETE /<bucket>/<key>`), answering as S3 does: 404 with a `NoSuchKey` XML error for a
 * missing object, 204 for any delete. Objects live in memory; every request is recorded.
 */
export interface FakeS3Server {
  endpoint: string;
  objects: Map<string, { body: string; contentType?: string }>;
  calls: Array<{ method: string; path: string }>;
  close(): Promise<void>;
}

export async function startFakeS3Server(): Promise<FakeS3Server> {
  const objects = new Map<string, { body: string; contentType?: string }>();
  const calls: Array<{ method: string; path: string }> = [];
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const path = decodeURIComponent(new URL(request.url ?? '/', 'http://localhost').pathname);
    calls.push({ method: request.method ?? '', path });
    if (request.method === 'PUT') {
      const contentType = request.headers['content-type'];
      objects.set(path, {
        body: Buffer.concat(chunks).toString('utf8'),
        ...(contentType ? { contentType } : {}),
      });
      response.writeHead(200, { etag: '"e"' }).end();
    } else if (request.method === 'GET') {
      const object = objects.get(path);
      if (!object) {
        response.writeHead(404, { 'content-type': 'application/xml' });
        response.end(
          '<?xml version="1.0" encoding="UTF-8"?><Error><Code>NoSuchKey</Code><Message>The specified key does not exist.</Message></Error>',
        );
        return;
      }
      response
        .writeHead(200, { 'content-type': object.contentType ?? 'binary/octet-stream' })
        .end(object.body);
    } else if (request.method === 'DELETE') {
      objects.delete(path);
      response.writeHead(204).end();
    } else {
      response.writeHead(405).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    objects,
    calls,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}
