import type { EmbeddingModel } from '../../ports/embedding-model.ts';
import { KNOWLEDGE_SCOPES, type KnowledgeScope, type VectorIndex } from '../../ports/vector-index.ts';
import type { KeywordIndexes } from './keyword-index.ts';
import type { IndexTarget } from './knowledge-indexer.ts';

/**
 * The similarity below which a vector match is noise, per embedder. It applies to the vector list
 * only, so exact identifiers and file names that BM25 finds are never dropped by it.
 *
 * use-lite-512: calibrated by the "calibration" case of tests/integration/knowledge-retrieval.test.ts
 * (a generated weather-bot project: 12 questions, each labelled with the files that answer it, and
 * 6 off-topic questions it cannot answer, against every chunk of the project). USE lite separates
 * them poorly: the best similarity of a question to a chunk that answers it ranged 0.12-0.64, the
 * best match of an off-topic question 0.18-0.26, and unrelated pairs had a median of 0.25. So the
 * floor sits just above the best off-topic match (0.259 -> 0.27): a question the project cannot
 * answer gets no vector matches, while 8 of the 12 labelled answers stay above it and the other 4
 * are still found by BM25, which the floor never touches (hybrid recall@5 stays 1.0 on the set).
 * Re-run that case to recalibrate after changing the chunking or the embedded text.
 *
 * Titan V2 (512): not calibrated here (no Bedrock on this machine): no floor until it is, so the
 * vector list is only cut by top-k. Unknown embedders get no floor either.
 */
export const SIMILARITY_FLOORS: Readonly<Record<string, number>> = {
  'use-lite-512': 0.27,
};

/** Reciprocal rank fusion constant (Cormack et al.; the usual 60). */
export const RRF_K = 60;
const CANDIDATES = 20;

export interface KnowledgeQuery extends IndexTarget {
  query: string;
  scopes?: readonly KnowledgeScope[];
  limit?: number;
}

export interface KnowledgeHit {
  key: string;
  path: string;
  scope: KnowledgeScope;
  commit: string;
  heading?: string;
  text: string;
  /** The fused score (see Fusion). */
  score: number;
  vectorRank?: number;
  similarity?: number;
  keywordRank?: number;
  /** BM25's score, when BM25 ranked it. */
  keywordScore?: number;
}

/** How much each list counts in reciprocal rank fusion: score = Σ weight / (RRF_K + rank). */
export interface FusionWeights {
  vector: number;
  keyword: number;
}

/**
 * How the two lists become one.
 * - `convex`: alpha · (similarity, min-max scaled from the floor to the best match) + (1 - alpha) ·
 *   (BM25 score / the best BM25 score); a chunk missing from a list scores 0 there (Bruch et al.,
 *   "An Analysis of Fusion Functions for Hybrid Retrieval", 2023).
 * - `rrf`: reciprocal rank fusion, Σ weight / (RRF_K + rank).
 */
export type Fusion = { method: 'convex'; alpha: number } | { method: 'rrf'; weights: FusionWeights };

/**
 * The default: a convex combination with a small vector weight. With USE lite the vector list is
 * far weaker than BM25 on the golden set (tests/fixtures/knowledge/golden-set.json: MRR 0.47 vs
 * 0.87), and plain RRF let it reorder BM25's good answers (hybrid MRR 0.77 < BM25's 0.87). Swept
 * on the golden set (README, Project knowledge): alpha 0.2 was best on the generated project's
 * half but lost to BM25 on the README half; 0.1 is the largest weight that loses on neither. The
 * vector list then breaks BM25's ties and brings what BM25 misses (questions without a shared word).
 */
export const DEFAULT_FUSION: Fusion = { method: 'convex', alpha: 0.1 };

export interface RetrieverDeps {
  embedder: EmbeddingModel;
  vectors: VectorIndex;
  keywords: KeywordIndexes;
  floors?: Readonly<Record<string, number>>;
  fusion?: Fusion;
}

/** Hybrid search: vector and BM25 lists of one project, fused (DEFAULT_FUSION). */
export class KnowledgeRetriever {
  constructor(private readonly deps: RetrieverDeps) {}

  async search(q: KnowledgeQuery): Promise<KnowledgeHit[]> {
    const { embedder, vectors, keywords } = this.deps;
    const scopes = q.scopes && q.scopes.length > 0 ? [...new Set(q.scopes)] : KNOWLEDGE_SCOPES;
    const floor = (this.deps.floors ?? SIMILARITY_FLOORS)[embedder.id] ?? Number.NEGATIVE_INFINITY;
    const fusion = this.deps.fusion ?? DEFAULT_FUSION;
    const weights = fusion.method === 'rrf' ? fusion.weights : { vector: 1, keyword: 1 };
    const [[vector], keywordIndex] = await Promise.all([embedder.embed([q.query]), keywords.load(q.project)]);
    const vectorMatches = await vectors.query(q.project, embedder, {
      vector: vector ?? [],
      topK: CANDIDATES,
      filter: { owner: q.owner, project: q.project, scope: { $in: [...scopes] } },
    });
    const belongs = (m: { owner: string; project: string; scope: KnowledgeScope }) =>
      m.owner === q.owner && m.project === q.project && scopes.includes(m.scope);

    const hits = new Map<string, KnowledgeHit>();
    const hitFor = (key: string, m: Omit<KnowledgeHit, 'key' | 'score'>) => {
      let hit = hits.get(key);
      if (!hit) {
        hit = { key, path: m.path, scope: m.scope, commit: m.commit, text: m.text, score: 0 };
        if (m.heading) hit.heading = m.heading;
        hits.set(key, hit);
      }
      return hit;
    };
    // The filter was applied in the query; the metadata that came back is checked again all the same.
    vectorMatches
      .filter((m) => belongs(m.metadata) && m.similarity >= floor)
      .forEach((m, i) => {
        const hit = hitFor(m.key, { ...m.metadata, ...headingOf(keywordIndex.get(m.key)) });
        hit.vectorRank = i + 1;
        hit.similarity = m.similarity;
        hit.score += weights.vector / (RRF_K + i + 1);
      });
    keywordIndex
      .search(q.query, scopes, CANDIDATES)
      .filter((h) => belongs(h.doc))
      .forEach((h, i) => {
        const hit = hitFor(h.doc.key, h.doc);
        hit.keywordRank = i + 1;
        hit.keywordScore = h.score;
        hit.score += weights.keyword / (RRF_K + i + 1);
      });
    if (fusion.method === 'convex') {
      const { alpha } = fusion;
      const all = [...hits.values()];
      const maxKeyword = Math.max(0, ...all.map((h) => h.keywordScore ?? 0)) || 1;
      const sims = all.flatMap((h) => (h.similarity === undefined ? [] : [h.similarity]));
      const low = Number.isFinite(floor) ? floor : Math.min(0, ...sims);
      const high = Math.max(low, ...sims);
      for (const hit of all) {
        const vectorPart = hit.similarity === undefined ? 0 : (hit.similarity - low) / (high - low || 1);
        hit.score = alpha * vectorPart + (1 - alpha) * ((hit.keywordScore ?? 0) / maxKeyword);
      }
    }
    return [...hits.values()]
      .sort((a, b) => b.score - a.score || a.path.localeCompare(b.path))
      .slice(0, q.limit ?? 5);
  }
}

const headingOf = (doc: { heading?: string } | undefined) => (doc?.heading ? { heading: doc.heading } : {});
