import { assembleKnowledge, type Knowledge, type KnowledgeAdapters, type LinkFor } from './knowledge.ts';

export type { Knowledge, KnowledgeAdapters, LinkFor } from './knowledge.ts';

/**
 * Where project knowledge lives. `local`: USE lite, a JSON vector file and a keyword-index file per
 * project under `dir` (the local stack's data dir). `aws`: Titan Text Embeddings V2 on Bedrock,
 * one S3 Vectors index per project in `vectorBucketName`, keyword indexes as objects under
 * `prefix` in `bucket`. Adapters are imported only for the setup chosen. The Lambdas do not come
 * here (an import() of a literal path is bundled): they use runtime/aws-knowledge.ts.
 */
export type KnowledgeSetup =
  | { driver: 'local'; dir: string }
  | {
      driver: 'aws';
      vectorBucketName: string;
      bucket: string;
      prefix?: string;
      titanDimension?: 256 | 512 | 1024;
      region?: string;
    };

export async function buildKnowledge(setup: KnowledgeSetup, linkFor?: LinkFor): Promise<Knowledge> {
  return assembleKnowledge(await adaptersFor(setup), linkFor);
}

async function adaptersFor(setup: KnowledgeSetup): Promise<KnowledgeAdapters> {
  if (setup.driver === 'local') {
    const [{ UseLiteEmbedder }, { FileVectorIndex }, { FileBlobStore }] = await Promise.all([
      import('../adapters/local/use-lite-embedder.ts'),
      import('../adapters/local/file-vector-index.ts'),
      import('../adapters/local/file-blob-store.ts'),
    ]);
    return {
      embedder: new UseLiteEmbedder(),
      vectors: new FileVectorIndex(`${setup.dir}/vectors`),
      blobs: new FileBlobStore(`${setup.dir}/keywords`),
    };
  }
  const { awsKnowledgeAdapters } = await import('../runtime/aws-knowledge.ts');
  return awsKnowledgeAdapters(setup);
}
