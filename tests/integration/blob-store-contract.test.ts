import { S3Client } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { S3BlobStore } from '../../lambdas/adapters/aws/s3-blob-store.ts';
import { FileBlobStore } from '../../lambdas/adapters/local/file-blob-store.ts';
import type { BlobStore } from '../../lambdas/ports/blob-store.ts';
import { type FakeS3Server, startFakeS3Server } from '../support/fake-s3-server.ts';
import { tempDirs } from '../support/temp-dir.ts';

/** One suite over the blob store that keeps each project's keyword index: files, and S3 on the wire. */
const dirs = tempDirs();
let s3: FakeS3Server | undefined;

const subjects: Array<{ name: string; open(): Promise<BlobStore>; close(): Promise<void> }> = [
  {
    name: 'FileBlobStore',
    open: async () => new FileBlobStore(`${await dirs.make('blobs-')}/knowledge`),
    close: () => dirs.cleanup(),
  },
  {
    name: 'S3BlobStore on a fake S3 endpoint',
    open: async () => {
      s3 = await startFakeS3Server();
      const client = new S3Client({
        endpoint: s3.endpoint,
        forcePathStyle: true,
        region: 'eu-west-1',
        credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
        maxAttempts: 1,
      });
      return new S3BlobStore({ bucket: 'data', prefix: 'knowledge/', client });
    },
    close: async () => {
      await s3?.close();
    },
  },
];

describe.each(subjects)('BlobStore contract: $name', (subject) => {
  let blobs: BlobStore;

  beforeAll(async () => {
    blobs = await subject.open();
  });

  afterAll(async () => {
    await subject.close();
  });

  it('answers undefined for a blob never written', async () => {
    // Act, Assess
    expect(await blobs.get('never.keywords.json')).toBeUndefined();
  });

  it('round-trips UTF-8 text, replaces on a second put, and deletes (a missing blob too)', async () => {
    // Act
    await blobs.put('p1.keywords.json', '{"text":"héllo"}');
    const first = await blobs.get('p1.keywords.json');
    await blobs.put('p1.keywords.json', '{"text":"second"}');
    const second = await blobs.get('p1.keywords.json');
    await blobs.delete('p1.keywords.json');
    await blobs.delete('p1.keywords.json');

    // Assess
    expect(first).toBe('{"text":"héllo"}');
    expect(second).toBe('{"text":"second"}');
    expect(await blobs.get('p1.keywords.json')).toBeUndefined();
  });
});

describe('S3BlobStore on the wire', () => {
  it('puts JSON objects under its prefix', async () => {
    // Prepare
    const server = await startFakeS3Server();
    const client = new S3Client({
      endpoint: server.endpoint,
      forcePathStyle: true,
      region: 'eu-west-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
      maxAttempts: 1,
    });

    // Act
    await new S3BlobStore({ bucket: 'data', prefix: 'knowledge/', client }).put('p1.keywords.json', '{}');
    await server.close();

    // Assess
    expect(server.objects.get('/data/knowledge/p1.keywords.json')).toEqual({
      body: '{}',
      contentType: 'application/json',
    });
  });
});
