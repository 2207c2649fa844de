import type { PipelineDocuments } from '../../pipelines/documents.ts';
import type { RunRecords } from '../../pipelines/run-records.ts';
import type { RunRef } from '../../pipelines/steps/run-ref.ts';
import type { ProjectService } from '../../projects/project-service.ts';

/**
 * Records the live release on the project and says what changed: the summaries of the
 * engineering runs built since the release that served before (short, from our own records).
 */
export async function recordReleaseStep(
  deps: {
    projects: ProjectService;
    deploys: RunRecords;
    builds: RunRecords;
    documents: PipelineDocuments;
  },
  input: { run: RunRef; commit: string; url: string; previousRelease: string | null },
): Promise<{ changes: string }> {
  const { projectId } = input.run;
  await deps.projects.markStatus(projectId, 'deployed');
  await deps.deploys.update(projectId, input.run.name, {
    outcome: 'succeeded',
    commit: input.commit,
    url: input.url,
  });
  if (input.previousRelease === input.commit) return { changes: 'the same commit again' };
  const builds = await deps.builds.list(projectId);
  const since = input.previousRelease ? builds.findIndex((b) => b.builtCommit === input.previousRelease) : -1;
  const newer = builds.slice(since + 1).filter((b) => b.outcome === 'succeeded' && b.builtCommit);
  const summaries: string[] = [];
  for (const build of newer.slice(-3)) {
    const summary = await deps.documents
      .get(projectId, `doc:summary:${build.runName}:${build.attempts ?? 1}`)
      .catch(() => undefined);
    summaries.push(summary?.split('\n')[0]?.slice(0, 200) ?? `run ${build.runName}`);
  }
  const first = input.previousRelease ? `since ${input.previousRelease.slice(0, 7)}` : 'first release';
  return { changes: [first, ...summaries].join('; ').slice(0, 480) };
}
