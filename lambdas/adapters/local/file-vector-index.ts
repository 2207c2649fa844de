import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { EmbedderIdentity } from '../../ports/embedding-model.ts';
import {
  EmbedderMismatchError,
  MAX_TOP_K,
  matchesFilter,
  type VectorIndex,
  type VectorMatch,
  type VectorQuery,
  type VectorRecord,
} from '../../ports/vector-index.ts';
import { JsonStateFile } from './json-state-file.ts';

interface IndexFile {
  embedder?: EmbedderIdentity;
  vectors: Record<string, Omit<VectorRecord, 'key'>>;
}

/**
 * The local vector index: one JSON file per project in the data dir, searched exactly (cosine over
 * every vector that passes the filter). Fine for a project's few thousand chunks on one machine;
 * the same filter semantics as S3 Vectors (ports/vector-index.ts).
 */
export class FileVectorIndex implements VectorIndex {
  private readonly files = new Map<string, JsonStateFile<IndexFile>>();

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
  }

  async put(project: string, embedder: EmbedderIdentity, records: VectorRecord[]): Promise<void> {
    await this.file(project).update((state) => {
      checkEmbedder(project, state.embedder, embedder);
      state.embedder ??= { id: embedder.id, dimension: embedder.dimension };
      for (const { key, vector, metadata } of records) {
        if (vector.length !== embedder.dimension)
          throw new Error(`Vector ${key} has ${vector.length} dimensions, not ${embedder.dimension}`);
        state.vectors[key] = { vector, metadata };
      }
    });
  }

  async query(project: string, embedder: EmbedderIdentity, query: VectorQuery): Promise<VectorMatch[]> {
    const state = this.file(project).read();
    if (!state.embedder) return [];
    checkEmbedder(project, state.embedder, embedder);
    const topK = Math.min(Math.max(1, query.topK), MAX_TOP_K);
    return Object.entries(state.vectors)
      .filter(([, record]) => matchesFilter(record.metadata, query.filter))
      .map(([key, record]) => ({
        key,
        similarity: cosine(query.vector, record.vector),
        metadata: { ...record.metadata },
      }))
      .sort((a, b) => b.similarity - a.similarity || a.key.localeCompare(b.key))
      .slice(0, topK);
  }

  async delete(project: string, keys: string[]): Promise<void> {
    if (keys.length === 0) return;
    await this.file(project).update((state) => {
      for (const key of keys) delete state.vectors[key];
    });
  }

  private file(project: string): JsonStateFile<IndexFile> {
    if (!/^[a-z0-9][a-z0-9-]{0,62}$/.test(project)) throw new Error(`Not a project id: ${project}`);
    let file = this.files.get(project);
    if (!file) {
      file = new JsonStateFile<IndexFile>(join(this.dir, `${project}.vectors.json`), () => ({ vectors: {} }));
      this.files.set(project, file);
    }
    return file;
  }
}

function checkEmbedder(project: string, indexed: EmbedderIdentity | undefined, asked: EmbedderIdentity) {
  if (indexed && (indexed.id !== asked.id || indexed.dimension !== asked.dimension))
    throw new EmbedderMismatchError(project, indexed, asked);
}

function cosine(a: number[], b: number[]): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na === 0 || nb === 0 ? 0 : dot / Math.sqrt(na * nb);
}
