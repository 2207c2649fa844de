import {
  CreateIndexCommand,
  DeleteVectorsCommand,
  GetIndexCommand,
  ListTagsForResourceCommand,
  PutVectorsCommand,
  QueryVectorsCommand,
  type QueryVectorsCommandInput,
  S3VectorsClient,
} from '@aws-sdk/client-s3vectors';
import type { EmbedderIdentity } from '../../ports/embedding-model.ts';
import {
  type ChunkMetadata,
  EmbedderMismatchError,
  FILTERABLE_KEYS,
  KNOWLEDGE_SCOPES,
  MAX_TOP_K,
  type VectorFilter,
  type VectorIndex,
  type VectorMatch,
  type VectorQuery,
  type VectorRecord,
} from '../../ports/vector-index.ts';

/**
 * Amazon S3 Vectors: one index per project in one vector bucket. An index's dimension, metric and
 * non-filterable keys cannot change after creation, so its name carries a version (`k1-<project>`):
 * a new layout means a new version and a re-index. The embedder's id is kept as the index's
 * `embedder` tag and checked, with the dimension, before every put and query (cached per process).
 * `text` is the only non-filterable key; owner, project, scope, path and commit are filterable.
 */
/** A filter document as the SDK types it. */
type DocumentType = NonNullable<QueryVectorsCommandInput['filter']>;

export const INDEX_VERSION = 'k1';
const BATCH = 500; // vectors per PutVectors / DeleteVectors call

export class S3VectorsIndex implements VectorIndex {
  private readonly client: S3VectorsClient;
  private readonly known = new Map<string, EmbedderIdentity>();

  constructor(private readonly options: { vectorBucketName: string; client?: S3VectorsClient }) {
    this.client = options.client ?? new S3VectorsClient({});
  }

  indexName(project: string): string {
    return `${INDEX_VERSION}-${project}`;
  }

  async put(project: string, embedder: EmbedderIdentity, records: VectorRecord[]): Promise<void> {
    await this.embedderOf(project, embedder, true);
    for (let i = 0; i < records.length; i += BATCH) {
      await this.client.send(
        new PutVectorsCommand({
          ...this.where(project),
          vectors: records.slice(i, i + BATCH).map((r) => ({
            key: r.key,
            data: { float32: r.vector },
            metadata: { ...r.metadata },
          })),
        }),
      );
    }
  }

  async query(project: string, embedder: EmbedderIdentity, query: VectorQuery): Promise<VectorMatch[]> {
    if (!(await this.embedderOf(project, embedder, false))) return [];
    const filter = s3Filter(query.filter);
    const response = await this.client.send(
      new QueryVectorsCommand({
        ...this.where(project),
        topK: Math.min(Math.max(1, query.topK), MAX_TOP_K),
        queryVector: { float32: query.vector },
        ...(filter ? { filter } : {}),
        returnMetadata: true,
        returnDistance: true,
      }),
    );
    return (response.vectors ?? []).flatMap((v) => {
      const metadata = chunkMetadata(v.metadata);
      if (!v.key || !metadata || typeof v.distance !== 'number') return [];
      // Cosine distance is 1 - cosine similarity.
      return [{ key: v.key, similarity: 1 - v.distance, metadata }];
    });
  }

  async delete(project: string, keys: string[]): Promise<void> {
    for (let i = 0; i < keys.length; i += BATCH) {
      try {
        await this.client.send(
          new DeleteVectorsCommand({ ...this.where(project), keys: keys.slice(i, i + BATCH) }),
        );
      } catch (error) {
        if ((error as Error).name === 'NotFoundException') return;
        throw error;
      }
    }
  }

  private where(project: string) {
    return { vectorBucketName: this.options.vectorBucketName, indexName: this.indexName(project) };
  }

  /** The index's embedder; creates the index when asked to. Throws on another embedder. */
  private async embedderOf(
    project: string,
    asked: EmbedderIdentity,
    create: boolean,
  ): Promise<EmbedderIdentity | undefined> {
    let indexed = this.known.get(project);
    if (!indexed) {
      indexed = await this.describe(project);
      if (!indexed && create) indexed = await this.create(project, asked);
      if (indexed) this.known.set(project, indexed);
    }
    if (indexed && (indexed.id !== asked.id || indexed.dimension !== asked.dimension))
      throw new EmbedderMismatchError(project, indexed, asked);
    return indexed;
  }

  private async describe(project: string): Promise<EmbedderIdentity | undefined> {
    try {
      const { index } = await this.client.send(new GetIndexCommand(this.where(project)));
      if (!index?.indexArn) return undefined;
      const { tags } = await this.client.send(
        new ListTagsForResourceCommand({ resourceArn: index.indexArn }),
      );
      return { id: tags?.embedder ?? 'unknown', dimension: index.dimension ?? 0 };
    } catch (error) {
      if ((error as Error).name === 'NotFoundException') return undefined;
      throw error;
    }
  }

  private async create(project: string, embedder: EmbedderIdentity): Promise<EmbedderIdentity> {
    try {
      await this.client.send(
        new CreateIndexCommand({
          ...this.where(project),
          dataType: 'float32',
          dimension: embedder.dimension,
          distanceMetric: 'cosine',
          metadataConfiguration: { nonFilterableMetadataKeys: ['text'] },
          tags: { embedder: embedder.id },
        }),
      );
    } catch (error) {
      // Created meanwhile by another writer: read what it recorded.
      if ((error as Error).name !== 'ConflictException') throw error;
      return (await this.describe(project)) ?? embedder;
    }
    return { id: embedder.id, dimension: embedder.dimension };
  }
}

/** Our filter in S3 Vectors' syntax: `$eq` / `$in` per key, several keys under `$and`. */
export function s3Filter(filter: VectorFilter): DocumentType | undefined {
  const clauses = FILTERABLE_KEYS.flatMap((key): DocumentType[] => {
    const condition = filter[key];
    if (condition === undefined) return [];
    const test: DocumentType =
      typeof condition === 'string' ? { $eq: condition } : { $in: [...condition.$in] };
    return [{ [key]: test }];
  });
  if (clauses.length === 0) return undefined;
  return clauses.length === 1 ? clauses[0] : { $and: clauses };
}

function chunkMetadata(raw: unknown): ChunkMetadata | undefined {
  const m = raw as Record<string, unknown> | undefined;
  if (!m) return undefined;
  const strings = ['owner', 'project', 'path', 'commit', 'text'].every((k) => typeof m[k] === 'string');
  if (!strings || !KNOWLEDGE_SCOPES.includes(m.scope as ChunkMetadata['scope'])) return undefined;
  return {
    owner: m.owner as string,
    project: m.project as string,
    scope: m.scope as ChunkMetadata['scope'],
    path: m.path as string,
    commit: m.commit as string,
    text: m.text as string,
  };
}
