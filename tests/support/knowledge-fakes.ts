import { createHash } from 'node:crypto';
import type { BlobStore } from '../../lambdas/ports/blob-store.ts';
import type { EmbeddingModel } from '../../lambdas/ports/embedding-model.ts';

/** Blobs in a Map, for unit tests. */
export class MemoryBlobStore implements BlobStore {
  readonly blobs = new Map<string, string>();
  async get(key: string) {
    return this.blobs.get(key);
  }
  async put(key: string, body: string) {
    this.blobs.set(key, body);
  }
  async delete(key: string) {
    this.blobs.delete(key);
  }
}

/**
 * A deterministic bag-of-words embedder for unit tests: each lower-cased word adds 1 to one of 64
 * hashed dimensions, then the vector is normalised, so texts sharing words are similar. It counts
 * the texts it embeds.
 */
export class HashingEmbedder implements EmbeddingModel {
  readonly id = 'hashing-64';
  readonly dimension = 64;
  embedded: string[] = [];

  async embed(texts: string[]): Promise<number[][]> {
    this.embedded.push(...texts);
    return texts.map((text) => {
      const v = new Array<number>(this.dimension).fill(0);
      for (const word of text.toLowerCase().match(/[a-z0-9]+/g) ?? []) {
        const slot = createHash('md5').update(word).digest().readUInt16BE(0) % this.dimension;
        v[slot] = (v[slot] ?? 0) + 1;
      }
      const norm = Math.hypot(...v) || 1;
      return v.map((x) => x / norm);
    });
  }
}
