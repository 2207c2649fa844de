import { Aws, RemovalPolicy, Token, Validations } from 'aws-cdk-lib';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  type IBucket,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import { CfnVectorBucket } from 'aws-cdk-lib/aws-s3vectors';
import { Construct } from 'constructs';
import { INDEX_VERSION } from '../../../lambdas/adapters/aws/s3-vectors-index.ts';
import { TITAN_EMBED_V2 } from '../../../lambdas/adapters/aws/titan-embedder.ts';

/** Where the keyword indexes (one JSON object per project) live in their bucket. */
export const KEYWORD_PREFIX = 'knowledge/';

/** What a function is told and granted to search or index project knowledge. */
export interface KnowledgeStores {
  /** The S3 vector bucket: one index per project, `<INDEX_VERSION>-<project id>`. */
  vectorBucketName: string;
  /** `arn:...:s3vectors:<region>:<account>:bucket/<name>/index/<INDEX_VERSION>-*`: our indexes only. */
  indexArns: string;
  keywordBucket: IBucket;
  keywordPrefix: string;
  /** The Titan Text Embeddings V2 foundation model, in the stack's Region. */
  embeddingModelArn: string;
  /** The vector bucket resource, for the functions to wait on. */
  dependable: Construct;
}

export interface ProjectKnowledgeProps {
  /** `<stackName>`: names the vector bucket (lower-cased: vector bucket names are). */
  namePrefix: string;
}

/**
 * Project knowledge's stores: an S3 vector bucket (L1 CfnVectorBucket; the per-project indexes
 * are created by the S3 Vectors adapter at first put, since projects come and go at run time) and
 * an S3 bucket for the keyword indexes (encrypted, SSL only, no public access). Functions get
 * access through OrchestratorFunction.usesProjectKnowledge, which also sets their environment.
 */
export class ProjectKnowledge extends Construct {
  readonly vectorBucket: CfnVectorBucket;
  readonly keywordBucket: Bucket;
  readonly stores: KnowledgeStores;

  constructor(scope: Construct, id: string, props: ProjectKnowledgeProps) {
    super(scope, id);
    if (Token.isUnresolved(props.namePrefix)) throw new Error('ProjectKnowledge needs a literal name prefix');
    const vectorBucketName = `${props.namePrefix.toLowerCase().replace(/[^a-z0-9-]/g, '-')}-knowledge`;
    if (!/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/.test(vectorBucketName))
      throw new Error(`"${vectorBucketName}" is not a vector bucket name`);
    this.vectorBucket = new CfnVectorBucket(this, 'Vectors', {
      vectorBucketName,
      encryptionConfiguration: { sseType: 'AES256' },
    });
    // Vectors are derived data: rebuilt from the repositories by re-indexing.
    this.vectorBucket.applyRemovalPolicy(RemovalPolicy.DESTROY);

    this.keywordBucket = new Bucket(this, 'KeywordIndexes', {
      encryption: BucketEncryption.S3_MANAGED,
      enforceSSL: true,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    Validations.of(this.keywordBucket).acknowledge({
      id: 'AwsSolutions-S1',
      reason:
        'The bucket holds derived keyword indexes written and read only by the orchestrator Lambdas (whose calls CloudTrail records); server access logs would need a second bucket for no reader. Rebuilt from the repositories if lost.',
    });

    this.stores = {
      vectorBucketName,
      indexArns: `arn:${Aws.PARTITION}:s3vectors:${Aws.REGION}:${Aws.ACCOUNT_ID}:bucket/${vectorBucketName}/index/${INDEX_VERSION}-*`,
      keywordBucket: this.keywordBucket,
      keywordPrefix: KEYWORD_PREFIX,
      embeddingModelArn: `arn:${Aws.PARTITION}:bedrock:${Aws.REGION}::foundation-model/${TITAN_EMBED_V2}`,
      dependable: this.vectorBucket,
    };
  }
}
