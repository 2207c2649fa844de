import { describe, expect, it } from 'vitest';
import { KeywordIndexes } from '../../../../lambdas/domain/knowledge/keyword-index.ts';
import { KnowledgeIndexer } from '../../../../lambdas/domain/knowledge/knowledge-indexer.ts';
import { KnowledgeRetriever, RRF_K } from '../../../../lambdas/domain/knowledge/retriever.ts';
import type { VectorIndex, VectorMatch } from '../../../../lambdas/ports/vector-index.ts';
import { HashingEmbedder, MemoryBlobStore } from '../../../support/knowledge-fakes.ts';

const target = { owner: '7', project: 'wb-1' };

/** An in-memory vector index that answers what the test scripts, to see what the retriever does. */
function scriptedVectors(matches: VectorMatch[]): VectorIndex & { puts: number; deleted: string[] } {
  return {
    puts: 0,
    deleted: [],
    async put() {
      this.puts++;
    },
    async query() {
      return matches;
    },
    async delete(_project, keys) {
      this.deleted.push(...keys);
    },
  };
}

const meta = (path: string, over: Partial<VectorMatch['metadata']> = {}) => ({
  owner: '7',
  project: 'wb-1',
  scope: 'docs' as const,
  path,
  commit: 'c1',
  text: `text of ${path}`,
  ...over,
});

async function world(
  matches: VectorMatch[],
  files: Record<string, string>,
  floors: Record<string, number> = {},
) {
  const embedder = new HashingEmbedder();
  const keywords = new KeywordIndexes(new MemoryBlobStore());
  const vectors = scriptedVectors([]);
  await new KnowledgeIndexer({ embedder, vectors, keywords }).indexFiles(target, 'c1', files);
  // The scripted matches take the keys the indexer gave the chunks of their paths.
  const docs = (await keywords.load(target.project)).all();
  const keyOf = (m: VectorMatch) => docs.find((d) => d.path === m.metadata.path)?.key ?? m.key;
  const scripted = matches.map((m) => ({ ...m, key: keyOf(m) }));
  vectors.query = async () => scripted;
  const rrf = new KnowledgeRetriever({
    embedder,
    vectors,
    keywords,
    floors,
    fusion: { method: 'rrf', weights: { vector: 1, keyword: 1 } },
  });
  return {
    retriever: rrf,
    convex: new KnowledgeRetriever({ embedder, vectors, keywords, floors }),
    vectors,
    embedder,
  };
}

describe('KnowledgeRetriever', () => {
  it('fuses the vector and BM25 lists by reciprocal rank (k=60): found by both beats found by one', async () => {
    // Prepare: BM25 finds only b.md ("sqlite"); the vector list ranks a.md, then b.md.
    const { retriever } = await world(
      [
        { key: 'ka', similarity: 0.9, metadata: meta('a.md') },
        { key: 'kb', similarity: 0.8, metadata: meta('b.md') },
      ],
      { 'a.md': '# A\n\nnothing here', 'b.md': '# B\n\nwe use sqlite' },
    );

    // Act
    const hits = await retriever.search({ ...target, query: 'sqlite' });

    // Assess
    const b = hits.find((h) => h.path === 'b.md');
    expect(hits[0]?.path).toBe('b.md');
    expect(b?.score).toBeCloseTo(1 / (RRF_K + 2) + 1 / (RRF_K + 1), 10);
    expect(hits.find((h) => h.path === 'a.md')?.score).toBeCloseTo(1 / (RRF_K + 1), 10);
  });

  it('fuses by default with a convex combination: BM25 leads, the vector list breaks its ties and adds what it misses', async () => {
    // Prepare: BM25 finds a.md and b.md alike ("sqlite" once each); the vector list prefers b.md and
    // also finds c.md, which shares no word with the question.
    const { convex } = await world(
      [
        { key: 'kb', similarity: 0.9, metadata: meta('b.md') },
        { key: 'kc', similarity: 0.8, metadata: meta('c.md') },
        { key: 'ka', similarity: 0.3, metadata: meta('a.md') },
      ],
      { 'a.md': '# A\n\nsqlite here', 'b.md': '# B\n\nsqlite there', 'c.md': '# C\n\nthe database file' },
    );

    // Act
    const hits = await convex.search({ ...target, query: 'sqlite' });

    // Assess
    expect(hits.map((h) => h.path)).toEqual(['b.md', 'a.md', 'c.md']);
    expect(hits[2]?.keywordRank).toBeUndefined();
  });

  it('drops vector matches under the floor of the embedder, but never a BM25 hit', async () => {
    // Prepare
    const { retriever } = await world(
      [
        { key: 'ka', similarity: 0.5, metadata: meta('a.md') },
        { key: 'kb', similarity: 0.1, metadata: meta('b.md') },
      ],
      { 'a.md': '# A\n\nnothing', 'b.md': '# B\n\ncreateApp lives here' },
      { 'hashing-64': 0.3 },
    );

    // Act
    const hits = await retriever.search({ ...target, query: 'createApp' });

    // Assess
    expect(hits.find((h) => h.path === 'b.md')).toMatchObject({ keywordRank: 1 });
    expect(hits.find((h) => h.path === 'b.md')?.vectorRank).toBeUndefined();
    expect(hits.find((h) => h.path === 'a.md')).toMatchObject({ vectorRank: 1, similarity: 0.5 });
  });

  it('checks the metadata that comes back again: another owner, project or scope is dropped', async () => {
    // Prepare: an index that ignores the filter
    const { retriever } = await world(
      [
        { key: 'k1', similarity: 0.9, metadata: meta('theirs.md', { owner: '8' }) },
        { key: 'k2', similarity: 0.9, metadata: meta('other.md', { project: 'other' }) },
        { key: 'k3', similarity: 0.9, metadata: meta('log.txt', { scope: 'logs' }) },
        { key: 'k4', similarity: 0.9, metadata: meta('mine.md') },
      ],
      {},
    );

    // Act
    const hits = await retriever.search({ ...target, query: 'anything', scopes: ['docs'] });

    // Assess
    expect(hits.map((h) => h.path)).toEqual(['mine.md']);
  });
});

describe('KnowledgeIndexer', () => {
  it('embeds only new or changed chunks and deletes the removed ones', async () => {
    // Prepare
    const embedder = new HashingEmbedder();
    const keywords = new KeywordIndexes(new MemoryBlobStore());
    const vectors = scriptedVectors([]);
    const indexer = new KnowledgeIndexer({ embedder, vectors, keywords });
    const files = { 'a.md': '# A\n\none', 'b.md': '# B\n\ntwo', 'src/c.mjs': 'export const c = 3;' };
    await indexer.indexFiles(target, 'c1', files);
    embedder.embedded.length = 0;

    // Act
    const report = await indexer.indexFiles(target, 'c2', { 'a.md': files['a.md'], 'b.md': '# B\n\nTWO' });

    // Assess
    expect(report).toMatchObject({ embedded: 1, kept: 1, deleted: 2, withheld: 0 });
    expect(embedder.embedded).toEqual(['# B\n\nTWO']);
    expect(vectors.deleted).toHaveLength(2);
    const left = (await keywords.load('wb-1')).all();
    expect(left.map((d) => `${d.path}@${d.commit}`).sort()).toEqual(['a.md@c1', 'b.md@c2']);
    expect(left.every((d) => d.vectored)).toBe(true);
  });

  it('re-embeds a chunk whose vector never reached the index (a crash between the two writes)', async () => {
    // Prepare
    const embedder = new HashingEmbedder();
    const keywords = new KeywordIndexes(new MemoryBlobStore());
    const failing = scriptedVectors([]);
    failing.put = async () => {
      throw new Error('crash');
    };
    await expect(
      new KnowledgeIndexer({ embedder, vectors: failing, keywords }).indexFiles(target, 'c1', {
        'a.md': 'one',
      }),
    ).rejects.toThrow('crash');
    const vectors = scriptedVectors([]);

    // Act
    const report = await new KnowledgeIndexer({ embedder, vectors, keywords }).indexFiles(target, 'c1', {
      'a.md': 'one',
    });

    // Assess
    expect(report.embedded).toBe(1);
    expect(vectors.puts).toBe(1);
  });

  it('drops every chunk the secret detector flags and indexes only run summaries as history', async () => {
    // Prepare
    const embedder = new HashingEmbedder();
    const indexer = new KnowledgeIndexer({
      embedder,
      vectors: scriptedVectors([]),
      keywords: new KeywordIndexes(new MemoryBlobStore()),
    });
    const key = `AKIA${'A'.repeat(16)}`;

    // Act
    const files = await indexer.indexFiles(target, 'c1', {
      'README.md': `# Setup\n\nuse ${key}\n\n# Usage\n\nrun it`,
      '.env': 'TOKEN=x',
    });
    const history = await indexer.indexHistory(target, [
      { ref: 'doc:summary:run-1:1', text: 'Built it.' },
      { ref: 'doc:report:run-1:1', text: 'npm ERR! raw log' },
      { ref: 'logs/run-1.txt', text: 'raw log' },
    ]);

    // Assess
    expect(files).toMatchObject({ embedded: 1, withheld: 1, skipped: ['.env'] });
    expect(history).toMatchObject({ embedded: 1, skipped: ['doc:report:run-1:1', 'logs/run-1.txt'] });
    expect(embedder.embedded.join('\n')).not.toContain(key);
    expect(embedder.embedded.join('\n')).not.toContain('raw log');
  });
});
