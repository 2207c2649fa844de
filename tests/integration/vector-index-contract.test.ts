import { S3VectorsClient } from '@aws-sdk/client-s3vectors';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { S3VectorsIndex } from '../../lambdas/adapters/aws/s3-vectors-index.ts';
import { FileVectorIndex } from '../../lambdas/adapters/local/file-vector-index.ts';
import {
  type ChunkMetadata,
  EmbedderMismatchError,
  type VectorFilter,
  type VectorIndex,
  type VectorRecord,
} from '../../lambdas/ports/vector-index.ts';
import { type FakeS3VectorsServer, startFakeS3VectorsServer } from '../support/fake-s3-vectors-server.ts';
import { tempDirs } from '../support/temp-dir.ts';

/**
 * One suite, two implementations: the exact cosine search over a JSON file (local) and S3 Vectors
 * through the real SDK against the local fake endpoint. Each test uses its own project, so its own
 * index. Vectors are 4-dimensional and hand-made so the expected order is plain arithmetic.
 */
interface Subject {
  name: string;
  open(): Promise<VectorIndex>;
  close(): Promise<void>;
}

const dirs = tempDirs();
let fake: FakeS3VectorsServer | undefined;

const subjects: Subject[] = [
  {
    name: 'FileVectorIndex',
    open: async () => new FileVectorIndex(await dirs.make('vectors-')),
    close: () => dirs.cleanup(),
  },
  {
    name: 'S3VectorsIndex on the fake S3 Vectors endpoint',
    open: async () => {
      fake = await startFakeS3VectorsServer();
      const client = new S3VectorsClient({
        endpoint: fake.endpoint,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      return new S3VectorsIndex({ vectorBucketName: 'knowledge', client });
    },
    close: async () => {
      await fake?.close();
    },
  },
];

const embedder = { id: 'test-embedder', dimension: 4 };
const unit = (v: number[]) => {
  const n = Math.hypot(...v);
  return v.map((x) => x / n);
};
const meta = (over: Partial<ChunkMetadata>): ChunkMetadata => ({
  owner: '7',
  project: 'weather-bot-1a2b3c',
  scope: 'docs',
  path: 'README.md',
  commit: 'c1',
  text: 'chunk text',
  ...over,
});

let counter = 0;

describe.each(subjects)('VectorIndex contract: $name', (subject) => {
  let index: VectorIndex;
  let project: string;

  beforeAll(async () => {
    index = await subject.open();
  });

  afterAll(async () => {
    await subject.close();
  });

  beforeEach(() => {
    project = `p${++counter}-contract`;
  });

  const records = (): VectorRecord[] => [
    { key: 'a', vector: unit([1, 0, 0, 0]), metadata: meta({ project, path: 'docs/a.md', text: 'A' }) },
    {
      key: 'b',
      vector: unit([0.9, 0.1, 0, 0]),
      metadata: meta({ project, path: 'src/b.mjs', scope: 'code' }),
    },
    { key: 'c', vector: unit([0.5, 0.5, 0, 0]), metadata: meta({ project, scope: 'history', commit: 'c2' }) },
    { key: 'd', vector: unit([0, 1, 0, 0]), metadata: meta({ project, owner: '8' }) },
    { key: 'e', vector: unit([0, 0, 0, 1]), metadata: meta({ project, scope: 'logs' }) },
  ];
  const keys = (matches: Array<{ key: string }>) => matches.map((m) => m.key);

  it('answers nothing for a project with no index yet', async () => {
    // Act
    const matches = await index.query(project, embedder, { vector: unit([1, 0, 0, 0]), topK: 5, filter: {} });

    // Assess
    expect(matches).toEqual([]);
  });

  it('returns the nearest first, with cosine similarity and the whole metadata, text included', async () => {
    // Prepare
    await index.put(project, embedder, records());

    // Act
    const matches = await index.query(project, embedder, { vector: unit([1, 0, 0, 0]), topK: 3, filter: {} });

    // Assess
    expect(keys(matches)).toEqual(['a', 'b', 'c']);
    expect(matches[0]?.similarity).toBeCloseTo(1, 5);
    expect(matches[1]?.similarity).toBeCloseTo(0.9 / Math.hypot(0.9, 0.1), 5);
    expect(matches[2]?.similarity).toBeCloseTo(Math.SQRT1_2, 5);
    expect(matches[0]?.metadata).toEqual(meta({ project, path: 'docs/a.md', text: 'A' }));
  });

  it.each([
    { filter: { owner: '7' }, expected: ['a', 'b', 'c', 'e'] },
    { filter: { owner: '8' }, expected: ['d'] },
    { filter: { scope: { $in: ['docs', 'code'] } }, expected: ['a', 'b', 'd'] },
    { filter: { owner: '7', scope: { $in: ['history', 'logs'] } }, expected: ['c', 'e'] },
    { filter: { path: 'src/b.mjs' }, expected: ['b'] },
    { filter: { commit: 'c2', owner: '7' }, expected: ['c'] },
    { filter: { project: 'another-project' }, expected: [] },
    { filter: { scope: { $in: [] } }, expected: [] },
  ])('filters with $filter: equality and $in, every key must hold', async ({ filter, expected }) => {
    // Prepare
    await index.put(project, embedder, records());

    // Act
    const matches = await index.query(project, embedder, {
      vector: unit([1, 0.2, 0.1, 0.05]),
      topK: 10,
      filter: filter as VectorFilter,
    });

    // Assess
    expect(keys(matches).sort()).toEqual(expected);
  });

  it('keeps top-k after filtering, so a filter never starves the answer', async () => {
    // Prepare
    await index.put(project, embedder, records());

    // Act
    const matches = await index.query(project, embedder, {
      vector: unit([1, 0, 0, 0]),
      topK: 2,
      filter: { scope: { $in: ['logs', 'history'] } },
    });

    // Assess
    expect(keys(matches)).toEqual(['c', 'e']);
  });

  it('replaces a vector put again under the same key', async () => {
    // Prepare
    await index.put(project, embedder, records());

    // Act
    await index.put(project, embedder, [
      { key: 'e', vector: unit([1, 0, 0, 0]), metadata: meta({ project, text: 'moved' }) },
    ]);

    // Assess
    const matches = await index.query(project, embedder, {
      vector: unit([1, 0, 0, 0]),
      topK: 10,
      filter: {},
    });
    expect(matches).toHaveLength(5);
    const moved = matches.find((m) => m.key === 'e');
    expect(moved?.similarity).toBeCloseTo(1, 5);
    expect(moved?.metadata.text).toBe('moved');
  });

  it('deletes by key, and deleting unknown keys or from a missing index is not an error', async () => {
    // Prepare
    await index.put(project, embedder, records());

    // Act
    await index.delete(project, ['a', 'b', 'never-there']);
    await index.delete(`${project}-none`, ['x']);

    // Assess
    const matches = await index.query(project, embedder, {
      vector: unit([1, 0, 0, 0]),
      topK: 10,
      filter: {},
    });
    expect(keys(matches).sort()).toEqual(['c', 'd', 'e']);
  });

  it.each([
    { what: 'another model of the same dimension', other: { id: 'other-embedder', dimension: 4 } },
    { what: 'the same model at another dimension', other: { id: 'test-embedder', dimension: 8 } },
  ])('refuses a query and a put from $what with EmbedderMismatchError', async ({ other }) => {
    // Prepare
    await index.put(project, embedder, records());
    const vector = unit(Array.from({ length: other.dimension }, (_, i) => i + 1));

    // Act
    const querying = index.query(project, other, { vector, topK: 3, filter: {} });
    const putting = index.put(project, other, [{ key: 'z', vector, metadata: meta({ project }) }]);

    // Assess
    await expect(querying).rejects.toBeInstanceOf(EmbedderMismatchError);
    await expect(querying).rejects.toMatchObject({ indexed: embedder, asked: other });
    await expect(putting).rejects.toBeInstanceOf(EmbedderMismatchError);
  });

  it('puts and deletes more vectors than one S3 Vectors call takes (500)', async () => {
    // Prepare
    const many = Array.from({ length: 1_203 }, (_, i) => ({
      key: `k${i}`,
      vector: unit([1, (i % 7) + 1, i % 3, 1]),
      metadata: meta({ project, path: `f${i}.md` }),
    }));

    // Act
    await index.put(project, embedder, many);
    await index.delete(
      project,
      many.slice(0, 1_200).map((r) => r.key),
    );

    // Assess
    const left = await index.query(project, embedder, { vector: unit([1, 1, 1, 1]), topK: 100, filter: {} });
    expect(keys(left).sort()).toEqual(['k1200', 'k1201', 'k1202']);
  });
});
