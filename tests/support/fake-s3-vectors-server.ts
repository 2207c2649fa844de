import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local S3 Vectors endpoint (REST-JSON: `POST /PutVectors`, `GET /tags/{arn}`, ...) for wire tests
 * with the real S3VectorsClient. It keeps indexes in memory and answers as the service does, as far
 * as we use it: cosine distance (1 - similarity), filters in S3 Vectors' own syntax (`$eq`, `$in`,
 * `$and`, bare values) over filterable keys only, NotFoundException (404) and ConflictException
 * (409) in `x-amzn-errortype`. Every request is recorded.
 */
export interface FakeS3VectorsCall {
  method: string;
  path: string;
  body: Record<string, unknown>;
}

interface FakeIndex {
  arn: string;
  dimension: number;
  nonFilterable: string[];
  tags: Record<string, string>;
  vectors: Map<string, { data: number[]; metadata: Record<string, unknown> }>;
}

export interface FakeS3VectorsServer {
  endpoint: string;
  calls: FakeS3VectorsCall[];
  indexes: Map<string, FakeIndex>;
  callsTo(path: string): FakeS3VectorsCall[];
  close(): Promise<void>;
}

class ServiceError extends Error {
  constructor(
    readonly type: string,
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function startFakeS3VectorsServer(): Promise<FakeS3VectorsServer> {
  const calls: FakeS3VectorsCall[] = [];
  const indexes = new Map<string, FakeIndex>();
  const indexOf = (body: Record<string, unknown>) => {
    const index = indexes.get(`${body.vectorBucketName}/${body.indexName}`);
    if (!index) throw new ServiceError('NotFoundException', 404, 'The specified index could not be found');
    return index;
  };
  const operations: Record<string, (body: Record<string, unknown>, arn?: string) => unknown> = {
    'POST /CreateIndex': (body) => {
      const name = `${body.vectorBucketName}/${body.indexName}`;
      if (indexes.has(name)) throw new ServiceError('ConflictException', 409, 'The index already exists');
      const config = body.metadataConfiguration as { nonFilterableMetadataKeys?: string[] } | undefined;
      const arn = `arn:aws:s3vectors:eu-west-1:000000000000:bucket/${name.replace('/', '/index/')}`;
      indexes.set(name, {
        arn,
        dimension: Number(body.dimension),
        nonFilterable: config?.nonFilterableMetadataKeys ?? [],
        tags: (body.tags as Record<string, string>) ?? {},
        vectors: new Map(),
      });
      return { indexArn: arn };
    },
    'POST /GetIndex': (body) => {
      const index = indexOf(body);
      return {
        index: {
          vectorBucketName: body.vectorBucketName,
          indexName: body.indexName,
          indexArn: index.arn,
          creationTime: 1_800_000_000,
          dataType: 'float32',
          dimension: index.dimension,
          distanceMetric: 'cosine',
          metadataConfiguration: { nonFilterableMetadataKeys: index.nonFilterable },
        },
      };
    },
    'GET /tags': (_body, arn) => {
      const index = [...indexes.values()].find((i) => i.arn === arn);
      if (!index) throw new ServiceError('NotFoundException', 404, 'No such resource');
      return { tags: index.tags };
    },
    'POST /PutVectors': (body) => {
      const index = indexOf(body);
      const vectors = body.vectors as Array<{
        key: string;
        data: { float32: number[] };
        metadata: Record<string, unknown>;
      }>;
      if (vectors.length > 500) throw new ServiceError('ValidationException', 400, 'At most 500 vectors');
      for (const v of vectors) {
        if (v.data.float32.length !== index.dimension)
          throw new ServiceError('ValidationException', 400, `Dimension ${v.data.float32.length}`);
        index.vectors.set(v.key, { data: v.data.float32, metadata: v.metadata });
      }
      return {};
    },
    'POST /DeleteVectors': (body) => {
      const index = indexOf(body);
      for (const key of body.keys as string[]) index.vectors.delete(key);
      return {};
    },
    'POST /QueryVectors': (body) => {
      const index = indexOf(body);
      const query = (body.queryVector as { float32: number[] }).float32;
      const filter = body.filter as Record<string, unknown> | undefined;
      const topK = Number(body.topK);
      if (topK < 1 || topK > 100) throw new ServiceError('ValidationException', 400, 'topK must be 1-100');
      const found = [...index.vectors.entries()]
        .filter(([, v]) => !filter || matches(filter, v.metadata, index.nonFilterable))
        .map(([key, v]) => ({ key, distance: 1 - cosine(query, v.data), metadata: v.metadata }))
        .sort((a, b) => a.distance - b.distance)
        .slice(0, topK);
      return {
        distanceMetric: 'cosine',
        vectors: found.map((v) => ({
          key: v.key,
          ...(body.returnDistance ? { distance: v.distance } : {}),
          ...(body.returnMetadata ? { metadata: v.metadata } : {}),
        })),
      };
    },
  };
  const server = createServer(async (request, response) => {
    const chunks: Buffer[] = [];
    for await (const chunk of request) chunks.push(chunk as Buffer);
    const url = new URL(request.url ?? '/', 'http://localhost');
    const text = Buffer.concat(chunks).toString('utf8');
    const call = {
      method: request.method ?? '',
      path: url.pathname,
      body: (text ? JSON.parse(text) : {}) as Record<string, unknown>,
    };
    calls.push(call);
    const tags = /^\/tags\/(.+)$/.exec(url.pathname);
    const operation = operations[`${call.method} ${tags ? '/tags' : url.pathname}`];
    try {
      if (!operation)
        throw new ServiceError('UnknownOperationException', 404, `No ${call.method} ${call.path}`);
      const result = operation(call.body, tags ? decodeURIComponent(tags[1] ?? '') : undefined);
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(JSON.stringify(result));
    } catch (error) {
      const e =
        error instanceof ServiceError
          ? error
          : new ServiceError('InternalServerException', 500, String(error));
      response.writeHead(e.status, { 'content-type': 'application/json', 'x-amzn-errortype': e.type });
      response.end(JSON.stringify({ message: e.message }));
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    calls,
    indexes,
    callsTo: (path) => calls.filter((c) => c.path === path),
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function matches(
  filter: Record<string, unknown>,
  metadata: Record<string, unknown>,
  hidden: string[],
): boolean {
  return Object.entries(filter).every(([key, test]) => {
    if (key === '$and')
      return (test as Array<Record<string, unknown>>).every((f) => matches(f, metadata, hidden));
    if (key === '$or')
      return (test as Array<Record<string, unknown>>).some((f) => matches(f, metadata, hidden));
    if (hidden.includes(key)) throw new ServiceError('ValidationException', 400, `${key} is not filterable`);
    const value = metadata[key];
    if (typeof test !== 'object' || test === null) return value === test;
    const { $eq, $in } = test as { $eq?: unknown; $in?: unknown[] };
    if ($eq !== undefined) return value === $eq;
    if ($in !== undefined) return $in.includes(value);
    throw new ServiceError('ValidationException', 400, `Unsupported filter on ${key}`);
  });
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  a.forEach((x, i) => {
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  });
  return dot / Math.sqrt(na * nb);
}
