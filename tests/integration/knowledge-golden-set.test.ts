import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FileBlobStore } from '../../lambdas/adapters/local/file-blob-store.ts';
import { FileVectorIndex } from '../../lambdas/adapters/local/file-vector-index.ts';
import { UseLiteEmbedder } from '../../lambdas/adapters/local/use-lite-embedder.ts';
import { KeywordIndexes } from '../../lambdas/domain/knowledge/keyword-index.ts';
import { KnowledgeIndexer } from '../../lambdas/domain/knowledge/knowledge-indexer.ts';
import {
  DEFAULT_FUSION,
  type Fusion,
  type KnowledgeHit,
  KnowledgeRetriever,
} from '../../lambdas/domain/knowledge/retriever.ts';
import { RUN_SUMMARY, WEATHER_BOT_FILES } from '../fixtures/knowledge/weather-bot-corpus.ts';
import { tempDirs } from '../support/temp-dir.ts';

/**
 * The golden set (tests/fixtures/knowledge/golden-set.json), scored with the local embedder (USE
 * lite) for recall@5 and MRR of hybrid retrieval against vector-only and BM25-only on the same
 * questions and the same index. Run it alone to see the figures:
 *   npx vitest run --project integration tests/integration/knowledge-golden-set.test.ts
 */
interface Case {
  project: 'weather-bot' | 'orchestrator';
  query: string;
  relevant: Array<{ path: string; heading?: string }>;
}
const GOLDEN = JSON.parse(
  readFileSync(new URL('../fixtures/knowledge/golden-set.json', import.meta.url), 'utf8'),
) as { cases: Case[] };

const ROOT = new URL('../../', import.meta.url);
const read = (path: string) => readFileSync(new URL(path, ROOT), 'utf8');

/** A project the scripted engine builds (its files, as the worker commits them). */

/**
 * This repository's own docs, as they stood when the set was last scored: a copy, because the
 * README reports these figures and an edit of it moved them (its own knowledge section took a
 * first place from the right answer). Refresh the copy, the questions and the README's figures
 * together.
 */
const ORCHESTRATOR = {
  'README.md': read('tests/fixtures/knowledge/orchestrator-docs/README.md'),
  'containers/README.md': read('tests/fixtures/knowledge/orchestrator-docs/containers-README.md'),
};

const OWNER = '7';
const dirs = tempDirs();
const embedder = new UseLiteEmbedder();
let deps: ConstructorParameters<typeof KnowledgeRetriever>[0];

beforeAll(async () => {
  const dir = await dirs.make('golden-');
  deps = {
    embedder,
    vectors: new FileVectorIndex(`${dir}/vectors`),
    keywords: new KeywordIndexes(new FileBlobStore(`${dir}/keywords`)),
  };
  const indexer = new KnowledgeIndexer(deps);
  await indexer.indexFiles({ owner: OWNER, project: 'weather-bot' }, 'c0ffee1', WEATHER_BOT_FILES);
  await indexer.indexHistory({ owner: OWNER, project: 'weather-bot' }, [
    { ref: 'doc:summary:eng-20261201-1:1', text: RUN_SUMMARY, commit: 'c0ffee1' },
  ]);
  await indexer.indexFiles({ owner: OWNER, project: 'orchestrator' }, 'HEAD', ORCHESTRATOR);
}, 120_000);

afterAll(async () => {
  await dirs.cleanup();
});

const isRelevant = (c: Case) => (hit: KnowledgeHit) =>
  c.relevant.some((r) => r.path === hit.path && (!r.heading || (hit.heading ?? '').includes(r.heading)));

/** The 1-based rank of the first relevant hit in the top 5, 0 when none is. */
const rankIn = (hits: KnowledgeHit[], c: Case) => hits.slice(0, 5).findIndex(isRelevant(c)) + 1;

interface Figures {
  recallAt5: number;
  mrr: number;
}
type Method = 'hybrid' | 'vector' | 'bm25';

/** Ranks of each case by each method: the fused list, and the vector and BM25 lists it fused. */
async function score(cases: Case[], fusion: Fusion) {
  const retriever = new KnowledgeRetriever({ ...deps, fusion });
  const rows: Array<{ project: string; query: string } & Record<Method, number>> = [];
  for (const c of cases) {
    const hits = await retriever.search({ owner: OWNER, project: c.project, query: c.query, limit: 40 });
    const by = (rank: (h: KnowledgeHit) => number | undefined) =>
      hits.filter((h) => rank(h) !== undefined).sort((a, b) => (rank(a) ?? 0) - (rank(b) ?? 0));
    rows.push({
      project: c.project,
      query: c.query,
      hybrid: rankIn(hits, c),
      vector: rankIn(
        by((h) => h.vectorRank),
        c,
      ),
      bm25: rankIn(
        by((h) => h.keywordRank),
        c,
      ),
    });
  }
  const figures = (method: Method, subset = rows): Figures => ({
    recallAt5: round(subset.filter((r) => r[method] > 0).length / subset.length),
    mrr: round(subset.reduce((sum, r) => sum + (r[method] > 0 ? 1 / r[method] : 0), 0) / subset.length),
  });
  const table = (subset = rows) =>
    Object.fromEntries((['hybrid', 'vector', 'bm25'] as const).map((m) => [m, figures(m, subset)]));
  return {
    rows,
    all: table(),
    byProject: Object.fromEntries(
      ['weather-bot', 'orchestrator'].map((p) => [p, table(rows.filter((r) => r.project === p))]),
    ),
  };
}
const round = (x: number) => Math.round(x * 1000) / 1000;

describe('The golden set of project knowledge (USE lite, local adapters)', () => {
  it('scores hybrid retrieval against vector-only and BM25-only on recall@5 and MRR', async () => {
    // Act
    const { rows, all, byProject } = await score(GOLDEN.cases, DEFAULT_FUSION);
    // How the default was chosen, printed with it: plain RRF, and the sweep of the convex weight.
    const rrf = await score(GOLDEN.cases, { method: 'rrf', weights: { vector: 1, keyword: 1 } });
    const sweep: Record<string, unknown> = {};
    for (const alpha of [0.05, 0.1, 0.15, 0.2, 0.3, 0.5]) {
      const { byProject: halves } = await score(GOLDEN.cases, { method: 'convex', alpha });
      sweep[String(alpha)] = Object.fromEntries(
        Object.entries(halves).map(([p, t]) => [p, (t as Record<string, Figures>).hybrid]),
      );
    }
    console.log(
      JSON.stringify(
        {
          cases: rows.length,
          fusion: DEFAULT_FUSION,
          figures: all,
          byProject,
          rrfK60: { all: rrf.all, byProject: rrf.byProject },
          convexSweep: sweep,
          notFirst: rows.filter((r) => r.hybrid !== 1),
        },
        null,
        1,
      ),
    );

    // Assess: hybrid finds at least what either list finds, ranks far above vector-only, and stays
    // within one question's rank step of BM25's MRR (1/29 × ½ ≈ 0.017): with USE lite it does not
    // beat BM25 on this set, as the README says; this guards against it falling further behind.
    const hybrid = all.hybrid as Figures;
    const [vector, bm25] = [all.vector as Figures, all.bm25 as Figures];
    expect(hybrid.recallAt5, 'recall@5 vs vector').toBeGreaterThanOrEqual(vector.recallAt5);
    expect(hybrid.recallAt5, 'recall@5 vs BM25').toBeGreaterThanOrEqual(bm25.recallAt5);
    expect(hybrid.mrr, 'MRR vs vector').toBeGreaterThan(vector.mrr);
    expect(hybrid.mrr, 'MRR vs BM25').toBeGreaterThanOrEqual(bm25.mrr - 0.02);
    expect(rows.length).toBeGreaterThanOrEqual(25);
  }, 120_000);
});
