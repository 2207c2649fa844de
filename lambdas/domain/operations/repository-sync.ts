import type { BranchHead, GitHost } from '../../ports/git-host.ts';
import type { Logger } from '../../shared/logger.ts';
import type { Project } from '../projects/project.ts';
import type { ProjectRepository } from '../projects/project-repository.ts';
import type { FencedRecords } from './fenced-records.ts';
import { type RepositoryState, repositoryStateKey } from './operations-records.ts';

export interface RepositorySyncSummary {
  synced: string[];
  failed: string[];
  /** Projects whose knowledge was re-indexed at a new default-branch head. */
  indexed?: string[];
  /** Projects whose re-indexing failed (the sync itself still counts as done). */
  indexFailed?: string[];
}

/** Re-indexes a project's knowledge at a head; undefined when it was already there. */
export type KnowledgeRefresh = (project: Project, head: BranchHead) => Promise<unknown>;

/**
 * The repository-sync job's work: for every project with a repository, its default-branch head and
 * its open pull requests with their checks, recorded on the project under the job's fence. One
 * repository failing (gone, rate-limited) does not stop the others; the run reports it.
 */
export class RepositorySync {
  constructor(
    private readonly deps: {
      projects: ProjectRepository;
      gitHost: GitHost;
      records: FencedRecords;
      logger?: Logger;
      now?: () => Date;
      /** Project knowledge, where configured: brought to each new default-branch head. */
      refreshKnowledge?: KnowledgeRefresh;
    },
  ) {}

  async syncAll(fence: number): Promise<RepositorySyncSummary> {
    const summary: RepositorySyncSummary = { synced: [], failed: [] };
    const indexed: string[] = [];
    const indexFailed: string[] = [];
    for (const project of await this.deps.projects.listAll()) {
      if (!project.repository) continue;
      let head: BranchHead | undefined;
      try {
        head = await this.syncOne(project.id, project.repository.fullName, fence);
        summary.synced.push(project.id);
      } catch (error) {
        this.deps.logger?.warn('repository sync failed', { projectId: project.id, error: String(error) });
        summary.failed.push(project.id);
        continue;
      }
      // One project at a time, under the job's lease: an index is never synced twice at once.
      const { refreshKnowledge } = this.deps;
      if (!refreshKnowledge || !head) continue;
      try {
        if ((await refreshKnowledge(project, head)) !== undefined) indexed.push(project.id);
      } catch (error) {
        this.deps.logger?.warn('knowledge re-index failed', { projectId: project.id, error: String(error) });
        indexFailed.push(project.id);
      }
    }
    if (indexed.length > 0) summary.indexed = indexed;
    if (indexFailed.length > 0) summary.indexFailed = indexFailed;
    return summary;
  }

  private async syncOne(projectId: string, fullName: string, fence: number): Promise<BranchHead | undefined> {
    const name = fullName.split('/').at(-1) ?? fullName;
    const [head, pulls] = await Promise.all([
      this.deps.gitHost.defaultBranchHead(name),
      this.deps.gitHost.openPullRequests(name),
    ]);
    const state: RepositoryState = {
      fullName,
      ...(head
        ? {
            defaultBranch: head.branch,
            head: {
              commit: head.commit,
              message: head.message.slice(0, 200),
              ...(head.committedAt ? { committedAt: head.committedAt } : {}),
            },
          }
        : {}),
      pullRequests: pulls.slice(0, 20).map((p) => ({
        number: p.number,
        title: p.title.slice(0, 200),
        htmlUrl: p.htmlUrl,
        head: p.head,
        checks: p.checks,
      })),
      syncedAt: (this.deps.now?.() ?? new Date()).toISOString(),
    };
    await this.deps.records.put(repositoryStateKey(projectId), fence, { ...state });
    return head;
  }
}
