import type { EmbedderIdentity } from './embedding-model.ts';

/**
 * Vector index port: one index per project, built by one embedder. Metadata keys other than `text`
 * are filterable, with S3 Vectors' filter syntax restricted to what we use: a key equals a string,
 * or is `$in` a list of strings; every key given must hold (an implicit `$and`). `text` (the chunk)
 * is returned but never filterable.
 */
export type KnowledgeScope = 'docs' | 'code' | 'history' | 'logs';
export const KNOWLEDGE_SCOPES: readonly KnowledgeScope[] = ['docs', 'code', 'history', 'logs'];

export interface ChunkMetadata {
  /** The owner's user id, as a string. */
  owner: string;
  project: string;
  scope: KnowledgeScope;
  path: string;
  commit: string;
  text: string;
}

export const FILTERABLE_KEYS = ['owner', 'project', 'scope', 'path', 'commit'] as const;
export type FilterableKey = (typeof FILTERABLE_KEYS)[number];
export type FilterCondition = string | { $in: string[] };
export type VectorFilter = Partial<Record<FilterableKey, FilterCondition>>;

export interface VectorRecord {
  /** Unique in the project's index; a put with an existing key replaces it. */
  key: string;
  vector: number[];
  metadata: ChunkMetadata;
}

export interface VectorQuery {
  vector: number[];
  /** At most 100 (S3 Vectors' limit). */
  topK: number;
  filter: VectorFilter;
}

export interface VectorMatch {
  key: string;
  /** Cosine similarity, 1 for the same direction (S3 Vectors answers a distance: 1 - similarity). */
  similarity: number;
  metadata: ChunkMetadata;
}

export interface VectorIndex {
  /** Creates the project's index for this embedder on first use. @throws EmbedderMismatchError */
  put(project: string, embedder: EmbedderIdentity, records: VectorRecord[]): Promise<void>;
  /** Best first; an index that does not exist yet answers nothing. @throws EmbedderMismatchError */
  query(project: string, embedder: EmbedderIdentity, query: VectorQuery): Promise<VectorMatch[]>;
  /** Deleting keys that are not there is not an error. */
  delete(project: string, keys: string[]): Promise<void>;
}

export const MAX_TOP_K = 100;

export class EmbedderMismatchError extends Error {
  constructor(
    readonly project: string,
    readonly indexed: EmbedderIdentity,
    readonly asked: EmbedderIdentity,
  ) {
    super(
      `The knowledge index of ${project} was built by ${indexed.id} (${indexed.dimension} dimensions); ` +
        `${asked.id} (${asked.dimension}) cannot use it`,
    );
    this.name = 'EmbedderMismatchError';
  }
}

/** Whether metadata satisfies a filter: the semantics both adapters share. */
export function matchesFilter(metadata: ChunkMetadata, filter: VectorFilter): boolean {
  return FILTERABLE_KEYS.every((key) => {
    const condition = filter[key];
    if (condition === undefined) return true;
    return typeof condition === 'string'
      ? metadata[key] === condition
      : condition.$in.includes(metadata[key]);
  });
}
