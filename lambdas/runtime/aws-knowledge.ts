import { S3BlobStore } from '../adapters/aws/s3-blob-store.ts';
import { S3VectorsIndex } from '../adapters/aws/s3-vectors-index.ts';
import { TitanEmbedder } from '../adapters/aws/titan-embedder.ts';
import type { KnowledgeAdapters } from '../app/knowledge.ts';

/**
 * Project knowledge in AWS: Titan Text Embeddings V2 (512 dimensions) on Bedrock, one S3 Vectors
 * index per project, keyword indexes as S3 objects. Static imports only, so a Lambda bundle that
 * reaches this carries the AWS adapters and never the local embedder (TensorFlow.js).
 */
export function awsKnowledgeAdapters(setup: {
  vectorBucketName: string;
  bucket: string;
  prefix?: string;
  titanDimension?: 256 | 512 | 1024;
  region?: string;
}): KnowledgeAdapters {
  return {
    embedder: new TitanEmbedder({
      dimension: setup.titanDimension ?? 512,
      ...(setup.region ? { region: setup.region } : {}),
    }),
    vectors: new S3VectorsIndex({ vectorBucketName: setup.vectorBucketName }),
    blobs: new S3BlobStore({ bucket: setup.bucket, prefix: setup.prefix ?? 'knowledge/' }),
  };
}
