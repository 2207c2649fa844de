import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../lambdas/adapters/local/file-blob-store.ts';
import { FileVectorIndex } from '../../lambdas/adapters/local/file-vector-index.ts';
import { UseLiteEmbedder } from '../../lambdas/adapters/local/use-lite-embedder.ts';
import { buildKnowledge } from '../../lambdas/app/knowledge-wiring.ts';
import { chunkDocument, scopeOfPath } from '../../lambdas/domain/knowledge/chunker.ts';
import { KeywordIndexes } from '../../lambdas/domain/knowledge/keyword-index.ts';
import { KnowledgeIndexer, type SyncReport } from '../../lambdas/domain/knowledge/knowledge-indexer.ts';
import { githubBlobLink } from '../../lambdas/domain/knowledge/knowledge-search.ts';
import {
  type KnowledgeHit,
  KnowledgeRetriever,
  SIMILARITY_FLOORS,
} from '../../lambdas/domain/knowledge/retriever.ts';
import type { Project } from '../../lambdas/domain/projects/project.ts';
import { DECISION_RECORD, RUN_SUMMARY, WEATHER_BOT_FILES } from '../fixtures/knowledge/weather-bot-corpus.ts';
import { tempDirs } from '../support/temp-dir.ts';

/**
 * Real data, real model: a generated weather-bot project (the scripted engine's files), a decision
 * record and a run summary, indexed with the local adapters and USE lite, then asked questions a
 * person would ask. The labelled set below is also what the USE-lite similarity floor was
 * calibrated on (retriever.ts): this test prints the figures it rests on.
 */

/** Each question with the paths that answer it (the first is the best answer). */
const LABELLED: Array<{ query: string; relevant: string[] }> = [
  { query: 'why did we pick SQLite', relevant: ['docs/decisions/0001-storage.md'] },
  { query: 'where is the forecast command handled', relevant: ['src/app.mjs'] },
  { query: 'why not Postgres?', relevant: ['docs/decisions/0001-storage.md'] },
  {
    query: 'which environment variables does the bot need',
    relevant: ['env.contract.json', '.env.example', 'README.md'],
  },
  { query: 'how do I run the tests', relevant: ['README.md', 'package.json'] },
  { query: 'which port does the server listen on', relevant: ['src/app.mjs', 'README.md', '.env.example'] },
  { query: 'what does the health check answer', relevant: ['src/app.mjs', 'test/app.test.mjs', 'README.md'] },
  { query: 'how is the code linted', relevant: ['scripts/lint.mjs', 'package.json'] },
  { query: 'what happens on an unknown path', relevant: ['src/app.mjs', 'test/app.test.mjs'] },
  { query: 'is there a test for storm alerts', relevant: ['test/app.test.mjs'] },
  { query: 'what was built in the last run', relevant: ['doc:summary:eng-20261201-1:1'] },
  { query: 'createApp', relevant: ['src/app.mjs', 'test/app.test.mjs'] },
];

/** Questions this project cannot answer: the floor should leave their vector lists (nearly) empty. */
const OFF_TOPIC = [
  'recipe for a chocolate cake',
  'who won the football match yesterday',
  'how tall is Mount Everest',
  'translate good morning into French',
  'best time to plant tomatoes',
  'what is the capital of Australia',
];

const target = { owner: '7', project: 'weather-bot-1a2b3c' };
const dirs = tempDirs();
const embedder = new UseLiteEmbedder();
let retriever: KnowledgeRetriever;
let indexer: KnowledgeIndexer;
let first: SyncReport;
let history: SyncReport;
let dataDir: string;

const paths = (hits: KnowledgeHit[]) => hits.map((h) => h.path);
const rankOf = (hits: KnowledgeHit[], relevant: string[]) =>
  hits.findIndex((h) => relevant.includes(h.path)) + 1;

beforeAll(async () => {
  const dir = await dirs.make('knowledge-');
  dataDir = dir;
  const deps = {
    embedder,
    vectors: new FileVectorIndex(`${dir}/vectors`),
    keywords: new KeywordIndexes(new FileBlobStore(`${dir}/keywords`)),
  };
  indexer = new KnowledgeIndexer(deps);
  retriever = new KnowledgeRetriever(deps);
  first = await indexer.indexFiles(target, 'c0ffee1', WEATHER_BOT_FILES);
  history = await indexer.indexHistory(target, [
    { ref: 'doc:summary:eng-20261201-1:1', text: RUN_SUMMARY, commit: 'c0ffee1' },
    { ref: 'doc:report:eng-20261201-1:1', text: 'raw test log: npm ERR! ...' },
    {
      ref: 'doc:summary:eng-20261201-2:1',
      text: `## Run eng-20261201-2\n\nSet the token ghp_${'a'.repeat(36)} in the deploy.`,
    },
  ]);
});

afterAll(async () => {
  await dirs.cleanup();
});

describe('Project knowledge on a generated project, with USE lite', () => {
  it('indexes docs and code, skips secrets files, refuses raw logs and withholds a chunk with a token', () => {
    // Assess
    expect(first.embedded).toBeGreaterThan(8);
    expect(first.deleted).toBe(0);
    expect(first.skipped).toEqual(['.gitignore'].filter((p) => !scopeOfPath(p)));
    expect(history).toMatchObject({ embedded: 1, withheld: 1, skipped: ['doc:report:eng-20261201-1:1'] });
  });

  it('ranks the decision record first for "why did we pick SQLite"', async () => {
    // Act
    const hits = await retriever.search({ ...target, query: 'why did we pick SQLite' });

    // Assess
    expect(hits[0]?.path).toBe('docs/decisions/0001-storage.md');
    expect(hits[0]?.text).toContain('We picked SQLite because');
    expect(hits[0]).toMatchObject({
      scope: 'docs',
      commit: 'c0ffee1',
      heading: expect.stringContaining('Decision'),
    });
  });

  // In the top 5 the tool returns: with BM25 leading the fusion (retriever.ts DEFAULT_FUSION) it is
  // 4th, after the README, test and story chunks that name the forecast more often.
  it('ranks src/app.mjs in the top 5 for "where is the forecast command handled"', async () => {
    // Act
    const hits = await retriever.search({ ...target, query: 'where is the forecast command handled' });

    // Assess
    expect(paths(hits).slice(0, 5)).toContain('src/app.mjs');
  });

  it('keeps to the scopes asked for, and to the owner and project given', async () => {
    // Act
    const history_ = await retriever.search({ ...target, query: 'what was built', scopes: ['history'] });
    const stranger = await retriever.search({ ...target, owner: '8', query: 'why did we pick SQLite' });

    // Assess
    expect(history_.map((h) => h.scope)).toEqual(['history']);
    expect(history_[0]?.path).toBe('doc:summary:eng-20261201-1:1');
    expect(stranger).toEqual([]);
  });

  it('gives an off-topic question no vector matches: the floor cuts them, BM25 alone may answer', async () => {
    // Act
    const results = await Promise.all(OFF_TOPIC.map((query) => retriever.search({ ...target, query })));

    // Assess
    expect(results.flat().filter((h) => h.vectorRank !== undefined)).toEqual([]);
  });

  it('scores the labelled set: recall@5 and MRR of hybrid, vector-only and BM25-only', async () => {
    // Act
    const rows: Array<{ query: string; hybrid: number; byVector: number; byKeyword: number; top?: string }> =
      [];
    for (const { query, relevant } of LABELLED) {
      const hits = await retriever.search({ ...target, query, limit: 20 });
      const hybrid = rankOf(hits.slice(0, 5), relevant);
      const byVector = rankOf(
        [...hits]
          .filter((h) => h.vectorRank)
          .sort((a, b) => (a.vectorRank ?? 0) - (b.vectorRank ?? 0))
          .slice(0, 5),
        relevant,
      );
      const byKeyword = rankOf(
        [...hits]
          .filter((h) => h.keywordRank)
          .sort((a, b) => (a.keywordRank ?? 0) - (b.keywordRank ?? 0))
          .slice(0, 5),
        relevant,
      );
      rows.push({ query, hybrid, byVector, byKeyword, ...(hits[0] ? { top: hits[0].path } : {}) });
    }
    const score = (pick: (r: (typeof rows)[number]) => number) => ({
      recallAt5: rows.filter((r) => pick(r) > 0).length / rows.length,
      mrr: rows.reduce((sum, r) => sum + (pick(r) > 0 ? 1 / pick(r) : 0), 0) / rows.length,
    });
    const figures = {
      hybrid: score((r) => r.hybrid),
      vector: score((r) => r.byVector),
      bm25: score((r) => r.byKeyword),
    };
    console.log(JSON.stringify({ rows, figures }, null, 1));

    // Assess
    expect(figures.hybrid.recallAt5).toBeGreaterThanOrEqual(0.9);
    expect(figures.hybrid.mrr).toBeGreaterThanOrEqual(0.7);
  });

  it('calibration: the USE-lite floor is above every off-topic question and below most labelled answers', async () => {
    // Prepare
    const chunks = [
      ...Object.entries(WEATHER_BOT_FILES).flatMap(([path, text]) => {
        const scope = scopeOfPath(path);
        return scope ? chunkDocument(path, text, scope) : [];
      }),
      ...chunkDocument('doc:summary:eng-20261201-1:1', RUN_SUMMARY, 'history'),
    ];
    const chunkVectors = await embedder.embed(chunks.map((c) => c.embedText));
    const queryVectors = await embedder.embed(LABELLED.map((l) => l.query));
    const offTopicVectors = await embedder.embed(OFF_TOPIC);
    const cosine = (a: number[], b: number[]) => a.reduce((s, x, i) => s + x * (b[i] ?? 0), 0);

    // Act
    const relevantBest: number[] = [];
    const unrelated: number[] = [];
    LABELLED.forEach(({ relevant }, q) => {
      const sims = chunks.map((c, i) => ({ c, s: cosine(queryVectors[q] ?? [], chunkVectors[i] ?? []) }));
      relevantBest.push(Math.max(...sims.filter((x) => relevant.includes(x.c.path)).map((x) => x.s)));
      unrelated.push(...sims.filter((x) => !relevant.includes(x.c.path)).map((x) => x.s));
    });
    unrelated.sort((a, b) => a - b);
    const offTopicBest = offTopicVectors.map((v) => Math.max(...chunkVectors.map((c) => cosine(v, c))));
    const at = (p: number) => unrelated[Math.floor(p * (unrelated.length - 1))] ?? 0;
    const floor = SIMILARITY_FLOORS[embedder.id] ?? 0;
    const cut = unrelated.filter((s) => s < floor).length / unrelated.length;
    console.log(
      JSON.stringify({
        relevantBest: relevantBest.map((s) => Number(s.toFixed(3))),
        unrelated: {
          n: unrelated.length,
          median: at(0.5).toFixed(3),
          p90: at(0.9).toFixed(3),
          max: at(1).toFixed(3),
        },
        offTopicBest: offTopicBest.map((s) => Number(s.toFixed(3))),
        floor,
        relevantKept: relevantBest.filter((s) => s >= floor).length,
        unrelatedCut: cut.toFixed(2),
      }),
    );

    // Assess
    expect(Math.max(...offTopicBest)).toBeLessThan(floor);
    expect(relevantBest.filter((s) => s >= floor).length).toBeGreaterThanOrEqual(LABELLED.length / 2);
  });

  it('answers from the data dir through the local wiring, in a fresh process-like instance', async () => {
    // Prepare
    const knowledge = await buildKnowledge({ driver: 'local', dir: dataDir }, (_p, path, commit) =>
      githubBlobLink('http://127.0.0.1:3000/local/weather-bot', path, commit),
    );
    const project: Project = {
      id: target.project,
      ownerId: Number(target.owner),
      name: 'weather-bot',
      description: 'a weather bot',
      status: 'draft',
      secretKeys: [],
      createdAt: '2026-12-01T00:00:00.000Z',
      updatedAt: '2026-12-01T00:00:00.000Z',
    };

    // Act
    const passages = await knowledge.search.search(project, 'why did we pick SQLite');

    // Assess
    expect(passages[0]).toMatchObject({
      path: 'docs/decisions/0001-storage.md',
      commit: 'c0ffee1',
      link: 'http://127.0.0.1:3000/local/weather-bot/blob/c0ffee1/docs/decisions/0001-storage.md',
    });
    expect(passages.length).toBeLessThanOrEqual(5);
  });

  it('re-indexes incrementally: nothing for unchanged files, only changed chunks, removed ones deleted', async () => {
    // Act
    const again = await indexer.indexFiles(target, 'c0ffee2', WEATHER_BOT_FILES);
    const rest: Record<string, string> = { ...WEATHER_BOT_FILES };
    delete rest['scripts/lint.mjs'];
    const changed = await indexer.indexFiles(target, 'c0ffee3', {
      ...rest,
      'docs/decisions/0001-storage.md': DECISION_RECORD.replace(
        '## Consequences',
        '## Consequences (revisited)',
      ),
    });
    const hits = await retriever.search({ ...target, query: 'how is the code linted' });

    // Assess
    expect(again).toMatchObject({ embedded: 0, deleted: 0, kept: first.embedded });
    expect(changed.embedded).toBe(1);
    expect(changed.deleted).toBeGreaterThanOrEqual(2);
    expect(paths(hits)).not.toContain('scripts/lint.mjs');
  });
});
