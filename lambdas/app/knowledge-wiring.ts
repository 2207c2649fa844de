import { KeywordIndexes } from '../domain/knowledge/keyword-index.ts';
import { KnowledgeIndexer } from '../domain/knowledge/knowledge-indexer.ts';
import { KnowledgeSearch } from '../domain/knowledge/knowledge-search.ts';
import { KnowledgeRetriever } from '../domain/knowledge/retriever.ts';
import type { Project } from '../domain/projects/project.ts';
import type { BlobStore } from '../ports/blob-store.ts';
import type { EmbeddingModel } from '../ports/embedding-model.ts';
import type { VectorIndex } from '../ports/vector-index.ts';

/**
 * Where project knowledge lives. `local`: USE lite, a JSON vector file and a keyword-index file per
 * project under `dir` (the local stack's data dir). `aws`: Titan Text Embeddings V2 on Bedrock,
 * one S3 Vectors index per project in `vectorBucketName`, keyword indexes as objects under
 * `prefix` in `bucket`. Adapters are imported only for the setup chosen, so a Lambda bundle for
 * AWS never carries TensorFlow.js.
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

export interface Knowledge {
  embedder: EmbeddingModel;
  indexer: KnowledgeIndexer;
  search: KnowledgeSearch;
}

export async function buildKnowledge(
  setup: KnowledgeSetup,
  linkFor?: (project: Project, path: string, commit: string) => string | undefined,
): Promise<Knowledge> {
  const { embedder, vectors, blobs } = await adaptersFor(setup);
  const keywords = new KeywordIndexes(blobs);
  const indexer = new KnowledgeIndexer({ embedder, vectors, keywords });
  const retriever = new KnowledgeRetriever({ embedder, vectors, keywords });
  return { embedder, indexer, search: new KnowledgeSearch(retriever, linkFor ? { linkFor } : {}) };
}

async function adaptersFor(
  setup: KnowledgeSetup,
): Promise<{ embedder: EmbeddingModel; vectors: VectorIndex; blobs: BlobStore }> {
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
  const [{ TitanEmbedder }, { S3VectorsIndex }, { S3BlobStore }] = await Promise.all([
    import('../adapters/aws/titan-embedder.ts'),
    import('../adapters/aws/s3-vectors-index.ts'),
    import('../adapters/aws/s3-blob-store.ts'),
  ]);
  return {
    embedder: new TitanEmbedder({
      dimension: setup.titanDimension ?? 512,
      ...(setup.region ? { region: setup.region } : {}),
    }),
    vectors: new S3VectorsIndex({ vectorBucketName: setup.vectorBucketName }),
    blobs: new S3BlobStore({ bucket: setup.bucket, prefix: setup.prefix ?? 'knowledge/' }),
  };
}
