import type { EmbeddingModel } from '../../ports/embedding-model.ts';
import type { KnowledgeScope, VectorIndex } from '../../ports/vector-index.ts';
import { detectSecrets } from '../chat-secrets/secret-detector.ts';
import { type Chunk, chunkDocument, scopeOfPath } from './chunker.ts';
import type { KeywordDoc, KeywordIndexes } from './keyword-index.ts';

export interface IndexTarget {
  /** The owner's user id, as the chunks record it. */
  owner: string;
  project: string;
}

export interface SyncReport {
  embedded: number;
  kept: number;
  deleted: number;
  /** Chunks the secret detector flagged: never indexed. */
  withheld: number;
  /** Files or documents not indexed: unknown kinds, secrets files, locks, binaries, raw logs. */
  skipped: string[];
}

export interface KnowledgeIndexerDeps {
  embedder: EmbeddingModel;
  vectors: VectorIndex;
  keywords: KeywordIndexes;
}

/**
 * The only history indexed (PipelineDocuments refs): run summaries of the engineering pipeline and
 * the Product Owner's conversation summaries kept with the project they were about.
 */
const SUMMARY_REF = /^doc:(summary|conversation):[A-Za-z0-9_-]{1,80}:\d{1,3}$/;

/**
 * Keeps a project's knowledge index in step with its files and run summaries. Each sync names the
 * scopes it covers and gives their whole current content: chunks are keyed by (path, content hash),
 * so only new or changed chunks are embedded, and chunks of those scopes no longer present are
 * deleted. Every chunk goes through the chat secret detector first; what it flags is dropped.
 *
 * Crash safety: new chunks enter the keyword manifest as not `vectored` before their vectors are
 * put, and are marked once they are; a sync re-embeds unmarked chunks, so a crash leaves neither
 * orphan vectors nor chunks without vectors. Syncs of one project must not run concurrently.
 */
export class KnowledgeIndexer {
  constructor(private readonly deps: KnowledgeIndexerDeps) {}

  /** The repository at `commit`: its Markdown and text as `docs`, its code as `code`. */
  async indexFiles(target: IndexTarget, commit: string, files: Record<string, string>): Promise<SyncReport> {
    const skipped: string[] = [];
    const chunks = Object.entries(files).flatMap(([path, text]) => {
      const scope = scopeOfPath(path);
      if (scope !== 'docs' && scope !== 'code') {
        skipped.push(path);
        return [];
      }
      return chunkDocument(path, text, scope);
    });
    const report = await this.sync(target, commit, ['docs', 'code'], chunks);
    return { ...report, skipped: [...skipped, ...report.skipped] };
  }

  /**
   * Run summaries (`doc:summary:<run>:<n>`) and conversation summaries (`doc:conversation:<thread>:0`);
   * any other document (a log, a test report, a spec) is refused.
   */
  async indexHistory(
    target: IndexTarget,
    summaries: Array<{ ref: string; text: string; commit?: string }>,
  ): Promise<SyncReport> {
    const skipped = summaries.filter((s) => !SUMMARY_REF.test(s.ref)).map((s) => s.ref);
    const chunks = summaries
      .filter((s) => SUMMARY_REF.test(s.ref))
      .flatMap((s) => chunkDocument(s.ref, s.text, 'history').map((c) => ({ ...c, commit: s.commit })));
    const report = await this.sync(target, undefined, ['history'], chunks);
    return { ...report, skipped: [...skipped, ...report.skipped] };
  }

  /** Whether the project has anything indexed (its keyword manifest lists a chunk). */
  async isIndexed(project: string): Promise<boolean> {
    return (await this.deps.keywords.load(project)).all().length > 0;
  }

  /**
   * Drops the project's whole index: every vector its manifest lists, then the manifest. The next
   * sync (ProjectIndexing.refresh, the repository sync) rebuilds it from the repository.
   */
  async drop(project: string): Promise<{ deleted: number }> {
    const keys = (await this.deps.keywords.load(project)).all().map((d) => d.key);
    if (keys.length > 0) await this.deps.vectors.delete(project, keys);
    await this.deps.keywords.drop(project);
    return { deleted: keys.length };
  }

  private async sync(
    target: IndexTarget,
    commit: string | undefined,
    scopes: KnowledgeScope[],
    candidates: Array<Chunk & { commit?: string | undefined }>,
  ): Promise<SyncReport> {
    const { embedder, vectors, keywords } = this.deps;
    const index = await keywords.load(target.project);
    const clean = candidates.filter((c) => detectSecrets(c.embedText).length === 0);
    const wanted = new Map(clean.map((c) => [c.key, c]));
    const existing = index.all().filter((d) => scopes.includes(d.scope));
    const ready = new Set(existing.filter((d) => d.vectored).map((d) => d.key));
    const toEmbed = [...wanted.values()].filter((c) => !ready.has(c.key));
    const toDelete = existing.filter((d) => !wanted.has(d.key)).map((d) => d.key);

    const docs: KeywordDoc[] = toEmbed.map((c) => ({
      key: c.key,
      owner: target.owner,
      project: target.project,
      scope: c.scope,
      path: c.path,
      commit: c.commit ?? commit ?? 'unknown',
      text: c.text,
      ...(c.heading ? { heading: c.heading } : {}),
      vectored: false,
    }));
    if (docs.length > 0) {
      index.upsert(docs);
      await keywords.save(target.project, index);
      const embedded = await embedder.embed(toEmbed.map((c) => c.embedText));
      await vectors.put(
        target.project,
        embedder,
        docs.map(({ key, heading: _h, vectored: _v, ...metadata }, i) => ({
          key,
          vector: embedded[i] ?? [],
          metadata,
        })),
      );
      index.upsert(docs.map((d) => ({ ...d, vectored: true })));
    }
    if (toDelete.length > 0) {
      await vectors.delete(target.project, toDelete);
      index.remove(toDelete);
    }
    if (docs.length > 0 || toDelete.length > 0) await keywords.save(target.project, index);
    return {
      embedded: docs.length,
      kept: wanted.size - docs.length,
      deleted: toDelete.length,
      withheld: candidates.length - clean.length,
      skipped: [],
    };
  }
}
