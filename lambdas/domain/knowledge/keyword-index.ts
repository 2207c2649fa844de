import MiniSearch from 'minisearch';
import type { BlobStore } from '../../ports/blob-store.ts';
import type { ChunkMetadata, KnowledgeScope } from '../../ports/vector-index.ts';

/**
 * BM25 over a project's chunks (MiniSearch, in process), kept as one serialized blob per project.
 * The blob also holds every chunk with its metadata, so it is the project's manifest: what is
 * indexed, under which key, and whether its vector is stored yet (`vectored`), which is how the
 * indexer knows what to embed and what to delete.
 */
export interface KeywordDoc extends ChunkMetadata {
  key: string;
  heading?: string;
  /** False between adding a chunk here and its vector reaching the vector index. */
  vectored: boolean;
}

export interface KeywordHit {
  doc: KeywordDoc;
  score: number;
}

interface Serialized {
  version: 1;
  docs: Record<string, KeywordDoc>;
  index: unknown;
}

// Words that carry no meaning for BM25 in a question ("why did we pick ...").
const STOP_WORDS = new Set(
  'a an and are as at be by did do does for from has have how i in is it its of on or our that the this to was we were what when where which who why will with you'.split(
    ' ',
  ),
);

/** Words and, for identifiers, their camelCase parts: `createApp` is found by "create app" too. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  for (const word of text.split(/[^\p{L}\p{N}_]+/u)) {
    if (!word) continue;
    tokens.push(word);
    const parts = word.split(/(?<=[a-z0-9])(?=[A-Z])|_/).filter(Boolean);
    if (parts.length > 1) tokens.push(...parts);
  }
  return tokens;
}

const processTerm = (term: string) => {
  const lower = term.toLowerCase();
  return STOP_WORDS.has(lower) ? null : lower;
};

const OPTIONS = {
  idField: 'key',
  fields: ['path', 'heading', 'text'],
  tokenize,
  processTerm,
  searchOptions: {
    boost: { path: 2, heading: 1.5 },
    prefix: (term: string) => term.length >= 4,
    fuzzy: (term: string) => (term.length >= 6 ? 0.15 : false),
  },
};

export class KeywordIndex {
  private constructor(
    private readonly search_: MiniSearch<KeywordDoc>,
    private readonly docs: Map<string, KeywordDoc>,
  ) {}

  static empty(): KeywordIndex {
    return new KeywordIndex(new MiniSearch<KeywordDoc>(OPTIONS), new Map());
  }

  static parse(json: string): KeywordIndex {
    const data = JSON.parse(json) as Serialized;
    if (data.version !== 1) throw new Error(`Unknown keyword index version ${String(data.version)}`);
    return new KeywordIndex(
      MiniSearch.loadJSON<KeywordDoc>(JSON.stringify(data.index), OPTIONS),
      new Map(Object.entries(data.docs)),
    );
  }

  serialize(): string {
    const data: Serialized = {
      version: 1,
      docs: Object.fromEntries(this.docs),
      index: this.search_.toJSON(),
    };
    return JSON.stringify(data);
  }

  all(): KeywordDoc[] {
    return [...this.docs.values()];
  }

  get(key: string): KeywordDoc | undefined {
    return this.docs.get(key);
  }

  upsert(docs: KeywordDoc[]): void {
    for (const doc of docs) {
      if (this.docs.has(doc.key)) this.search_.discard(doc.key);
      this.docs.set(doc.key, doc);
      this.search_.add(doc);
    }
  }

  remove(keys: string[]): void {
    for (const key of keys) {
      if (!this.docs.delete(key)) continue;
      this.search_.discard(key);
    }
  }

  /** BM25 ranking, best first, of the chunks in `scopes`. */
  search(query: string, scopes: readonly KnowledgeScope[], limit: number): KeywordHit[] {
    return this.search_
      .search(query, {
        filter: (result) => scopes.includes(this.docs.get(result.id)?.scope as KnowledgeScope),
      })
      .slice(0, limit)
      .flatMap((result) => {
        const doc = this.docs.get(result.id as string);
        return doc ? [{ doc, score: result.score }] : [];
      });
  }
}

/** Loads and saves each project's keyword index as the blob `<project>.keywords.json`. */
export class KeywordIndexes {
  constructor(private readonly blobs: BlobStore) {}

  async load(project: string): Promise<KeywordIndex> {
    const json = await this.blobs.get(blobName(project));
    return json ? KeywordIndex.parse(json) : KeywordIndex.empty();
  }

  async save(project: string, index: KeywordIndex): Promise<void> {
    await this.blobs.put(blobName(project), index.serialize());
  }

  async drop(project: string): Promise<void> {
    await this.blobs.delete(blobName(project));
  }
}

const blobName = (project: string) => `${project}.keywords.json`;
