import type { ProjectIndexing } from '../../knowledge/project-indexing.ts';
import type { ProjectRepository } from '../../projects/project-repository.ts';
import type { RunRef } from './run-ref.ts';

export type IndexKnowledgeResult =
  | {
      indexed: true;
      commit: string;
      embedded: number;
      kept: number;
      deleted: number;
      withheld: number;
      skipped: number;
    }
  | { indexed: false; reason: string };

/**
 * After a green build: the project's knowledge is brought to the commit the run built (its docs,
 * code and run summaries). Where no knowledge index is configured it says so and does nothing.
 * A failure is thrown to Step Functions, whose Catch records it and goes on: a build never fails
 * for its index.
 */
export async function indexKnowledgeStep(
  deps: { indexing?: ProjectIndexing; projects: Pick<ProjectRepository, 'get'> },
  input: { run: RunRef; commit?: string | null },
): Promise<IndexKnowledgeResult> {
  if (!deps.indexing) return { indexed: false, reason: 'project knowledge is not configured' };
  if (!input.commit) return { indexed: false, reason: 'the run reported no commit' };
  const project = await deps.projects.get(input.run.projectId);
  if (!project) throw new Error(`Project ${input.run.projectId} not found`);
  const { files, history } = await deps.indexing.indexCommit(project, input.commit);
  return {
    indexed: true,
    commit: input.commit,
    embedded: files.embedded + history.embedded,
    kept: files.kept + history.kept,
    deleted: files.deleted + history.deleted,
    withheld: files.withheld + history.withheld,
    skipped: files.skipped.length + history.skipped.length,
  };
}
