import type { GitHost } from '../../ports/git-host.ts';
import type { KeyValueStore } from '../../ports/key-value-store.ts';
import type { PipelineDocuments } from '../pipelines/documents.ts';
import type { RunRecords } from '../pipelines/run-records.ts';
import type { Project } from '../projects/project.ts';
import { MAX_FILE_CHARS, scopeOfPath } from './chunker.ts';
import type { KnowledgeIndexer, SyncReport } from './knowledge-indexer.ts';

/** More files than this in one repository are not indexed past the first ones (by path). */
export const MAX_INDEXED_FILES = 2_000;
const READ_CONCURRENCY = 8;

export interface ProjectIndexReport {
  commit: string;
  files: SyncReport;
  history: SyncReport;
}

export interface ProjectIndexingDeps {
  gitHost: Pick<GitHost, 'listFiles' | 'readFile'>;
  indexer: KnowledgeIndexer;
  runs: Pick<RunRecords, 'allAttempts'>;
  documents: Pick<PipelineDocuments, 'get' | 'list'>;
  /** Where the last indexed commit of each project is kept (the projects table). */
  store: KeyValueStore;
  now?: () => Date;
}

/** The commit a project's knowledge was last brought to: `PROJECT#<id>` / `KNOWLEDGE`. */
export const knowledgeStateKey = (projectId: string) => ({ pk: `PROJECT#${projectId}`, sk: 'KNOWLEDGE' });

/**
 * Brings a project's knowledge to one commit of its repository: its docs and code as the commit
 * has them (read through the git host; files the chunker never indexes, such as secrets files,
 * locks and builds, are not even read), then its history, the developer's summary of every
 * attempt of every run with the commit it made. Test reports and logs are never read. The owner
 * comes from the project record, never from a caller. Syncs of one project must not overlap: the
 * engineering pipeline runs one build of a project at a time and the repository sync holds a lease.
 */
export class ProjectIndexing {
  constructor(private readonly deps: ProjectIndexingDeps) {}

  async indexCommit(project: Project, commit: string): Promise<ProjectIndexReport> {
    const repository = project.id;
    const listed = await this.deps.gitHost.listFiles(repository, commit);
    if (!listed) throw new Error(`Commit ${commit} is not in the repository of ${project.id}`);
    const wanted = listed
      .filter((f) => scopeOfPath(f.path) !== undefined && f.size <= MAX_FILE_CHARS * 4)
      .map((f) => f.path)
      .sort()
      .slice(0, MAX_INDEXED_FILES);
    const files: Record<string, string> = {};
    for (let i = 0; i < wanted.length; i += READ_CONCURRENCY) {
      const batch = wanted.slice(i, i + READ_CONCURRENCY);
      const texts = await Promise.all(batch.map((p) => this.deps.gitHost.readFile(repository, p, commit)));
      batch.forEach((path, j) => {
        const text = texts[j];
        if (text !== undefined) files[path] = text;
      });
    }
    const target = { owner: String(project.ownerId), project: project.id };
    const filesReport = await this.deps.indexer.indexFiles(target, commit, files);
    const history = await this.deps.indexer.indexHistory(target, await this.summaries(project.id));
    await this.deps.store.put('projects', {
      ...knowledgeStateKey(project.id),
      commit,
      indexedAt: (this.deps.now?.() ?? new Date()).toISOString(),
    });
    return { commit, files: filesReport, history };
  }

  /** The commit the project's knowledge was last brought to, if any. */
  async indexedCommit(projectId: string): Promise<string | undefined> {
    const item = await this.deps.store.get('projects', knowledgeStateKey(projectId));
    return typeof item?.commit === 'string' ? item.commit : undefined;
  }

  /**
   * Re-indexes the project at `commit` unless its files are already there: indexed at that commit
   * and not dropped since (scripts/knowledge-rebuild.ts drops an index to rebuild it). Its history
   * (run and conversation summaries written since) is brought up to date either way; undefined
   * when the files were already current.
   */
  async refresh(project: Project, commit: string): Promise<ProjectIndexReport | undefined> {
    const current =
      (await this.indexedCommit(project.id)) === commit && (await this.deps.indexer.isIndexed(project.id));
    if (!current) return this.indexCommit(project, commit);
    await this.deps.indexer.indexHistory(
      { owner: String(project.ownerId), project: project.id },
      await this.summaries(project.id),
    );
    return undefined;
  }

  /**
   * The developer's summary of each attempt (`doc:summary:<run>:<n>`), with its commit, and the
   * Product Owner's conversation summaries about the project (`doc:conversation:<thread>:0`).
   */
  private async summaries(projectId: string): Promise<Array<{ ref: string; text: string; commit?: string }>> {
    const conversations = (await this.deps.documents.list(projectId, 'conversation')).map((d) => ({
      ref: d.ref,
      text: `# Conversation summary\n\n${d.text}`,
    }));
    return [...(await this.runSummaries(projectId)), ...conversations];
  }

  private async runSummaries(
    projectId: string,
  ): Promise<Array<{ ref: string; text: string; commit?: string }>> {
    const attempts = await this.deps.runs.allAttempts(projectId);
    const summaries = await Promise.all(
      attempts.map(async (a) => {
        if (!a.summaryRef) return [];
        const text = await this.deps.documents.get(projectId, a.summaryRef).catch(() => '');
        if (!text.trim()) return [];
        // The heading says which run and attempt it was, for the reader and for retrieval.
        const heading = `# Run ${a.runName}, attempt ${a.attempt} (${a.passed ? 'tests passed' : 'tests failed'})`;
        return [
          { ref: a.summaryRef, text: `${heading}\n\n${text}`, ...(a.commit ? { commit: a.commit } : {}) },
        ];
      }),
    );
    return summaries.flat();
  }
}
