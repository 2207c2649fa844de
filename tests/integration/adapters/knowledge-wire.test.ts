import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { S3VectorsClient } from '@aws-sdk/client-s3vectors';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3VectorsIndex } from '../../../lambdas/adapters/aws/s3-vectors-index.ts';
import { TitanEmbedder } from '../../../lambdas/adapters/aws/titan-embedder.ts';
import { type FakeBedrockServer, startFakeBedrockServer } from '../../support/fake-bedrock-server.ts';
import { type FakeS3VectorsServer, startFakeS3VectorsServer } from '../../support/fake-s3-vectors-server.ts';

// The real SDK clients on the wire: what is asserted is the request bodies and paths S3 Vectors and
// Bedrock receive, and how their answers and errors come back through our adapters.
const clientConfig = (endpoint: string) => ({
  endpoint,
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  maxAttempts: 1,
});

describe('S3VectorsIndex over REST-JSON', () => {
  let server: FakeS3VectorsServer;
  const embedder = { id: 'amazon.titan-embed-text-v2:0@512', dimension: 4 };
  const index = () =>
    new S3VectorsIndex({
      vectorBucketName: 'kb',
      client: new S3VectorsClient(clientConfig(server.endpoint)),
    });
  const record = (key: string) => ({
    key,
    vector: [0.5, 0.5, 0.5, 0.5],
    metadata: { owner: '7', project: 'wb-1', scope: 'docs' as const, path: 'a.md', commit: 'c1', text: 'hi' },
  });

  beforeAll(async () => {
    server = await startFakeS3VectorsServer();
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => {
    server.calls.length = 0;
    server.indexes.clear();
  });

  it('creates the versioned index on first put: cosine, float32, text non-filterable, embedder tagged', async () => {
    // Act
    await index().put('wb-1', embedder, [record('k1')]);

    // Assess
    expect(server.calls.map((c) => `${c.method} ${c.path}`)).toEqual([
      'POST /GetIndex',
      'POST /CreateIndex',
      'POST /PutVectors',
    ]);
    expect(server.callsTo('/CreateIndex')[0]?.body).toEqual({
      vectorBucketName: 'kb',
      indexName: 'k1-wb-1',
      dataType: 'float32',
      dimension: 4,
      distanceMetric: 'cosine',
      metadataConfiguration: { nonFilterableMetadataKeys: ['text'] },
      tags: { embedder: 'amazon.titan-embed-text-v2:0@512' },
    });
    expect(server.callsTo('/PutVectors')[0]?.body).toEqual({
      vectorBucketName: 'kb',
      indexName: 'k1-wb-1',
      vectors: [{ key: 'k1', data: { float32: [0.5, 0.5, 0.5, 0.5] }, metadata: record('k1').metadata }],
    });
  });

  it('reads the embedder of an existing index once (GetIndex + tags), then only queries', async () => {
    // Prepare
    await index().put('wb-1', embedder, [record('k1')]);
    server.calls.length = 0;
    const fresh = index();

    // Act
    await fresh.query('wb-1', embedder, { vector: [1, 0, 0, 0], topK: 3, filter: {} });
    await fresh.query('wb-1', embedder, { vector: [1, 0, 0, 0], topK: 3, filter: {} });

    // Assess
    expect(server.calls.map((c) => `${c.method} ${c.path.replace(/\/tags\/.*/, '/tags/<arn>')}`)).toEqual([
      'POST /GetIndex',
      'GET /tags/<arn>',
      'POST /QueryVectors',
      'POST /QueryVectors',
    ]);
  });

  it('sends the filter in S3 Vectors syntax with $and, $eq and $in, asks for metadata and distance', async () => {
    // Prepare
    await index().put('wb-1', embedder, [record('k1')]);

    // Act
    const matches = await index().query('wb-1', embedder, {
      vector: [1, 0, 0, 0],
      topK: 500,
      filter: { owner: '7', project: 'wb-1', scope: { $in: ['docs', 'code'] } },
    });

    // Assess
    expect(server.callsTo('/QueryVectors')[0]?.body).toEqual({
      vectorBucketName: 'kb',
      indexName: 'k1-wb-1',
      topK: 100,
      queryVector: { float32: [1, 0, 0, 0] },
      filter: {
        $and: [{ owner: { $eq: '7' } }, { project: { $eq: 'wb-1' } }, { scope: { $in: ['docs', 'code'] } }],
      },
      returnMetadata: true,
      returnDistance: true,
    });
    expect(matches).toHaveLength(1);
    expect(matches[0]?.similarity).toBeCloseTo(0.5, 5); // distance 0.5
  });

  it('answers nothing for a missing index without creating one', async () => {
    // Act
    const matches = await index().query('none', embedder, { vector: [1, 0, 0, 0], topK: 3, filter: {} });

    // Assess
    expect(matches).toEqual([]);
    expect(server.callsTo('/CreateIndex')).toHaveLength(0);
  });
});

describe('TitanEmbedder over InvokeModel', () => {
  let server: FakeBedrockServer;
  const embedder = () =>
    new TitanEmbedder({ client: new BedrockRuntimeClient(clientConfig(server.endpoint)), dimension: 256 });
  const answer = (embedding: number[]) => ({
    status: 200,
    body: { embedding, inputTextTokenCount: 3, embeddingsByType: { float: embedding } },
  });

  beforeAll(async () => {
    server = await startFakeBedrockServer();
  });

  afterAll(async () => {
    await server.close();
  });

  beforeEach(() => server.reset());

  it('sends {inputText, dimensions, normalize} to the Titan V2 model and returns one vector per text', async () => {
    // Prepare
    server.reply(answer(Array(256).fill(0.1)), answer(Array(256).fill(0.2)));

    // Act
    const vectors = await embedder().embed(['why SQLite?', 'forecast']);

    // Assess
    expect(vectors.map((v) => v.length)).toEqual([256, 256]);
    expect(server.requests.map((r) => r.modelId)).toEqual([
      'amazon.titan-embed-text-v2:0',
      'amazon.titan-embed-text-v2:0',
    ]);
    expect(server.requests.map((r) => r.path)).toEqual([
      '/model/amazon.titan-embed-text-v2%3A0/invoke',
      '/model/amazon.titan-embed-text-v2%3A0/invoke',
    ]);
    expect(
      server.requests
        .map((r) => r.body)
        .sort((a, b) => String(a.inputText).localeCompare(String(b.inputText))),
    ).toEqual([
      { inputText: 'forecast', dimensions: 256, normalize: true },
      { inputText: 'why SQLite?', dimensions: 256, normalize: true },
    ]);
    expect(embedder().id).toBe('amazon.titan-embed-text-v2:0@256');
  });

  it('refuses an answer of the wrong dimension', async () => {
    // Prepare
    server.reply(answer([0.1, 0.2]));

    // Act
    const embedding = embedder().embed(['x']);

    // Assess
    await expect(embedding).rejects.toThrow(/256-dimension/);
  });
});
