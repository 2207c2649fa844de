import type { GitHost } from '../../../ports/git-host.ts';
import type { ProjectRepository } from '../../projects/project-repository.ts';
import type { ProjectService } from '../../projects/project-service.ts';
import type { PipelineDocuments } from '../documents.ts';
import { branchFor } from '../run-names.ts';
import type { RunRecords } from '../run-records.ts';
import { scaffoldFiles } from '../scaffold.ts';
import type { RunRef } from './run-ref.ts';

export const SPEC_PATH = 'docs/spec.md';

/**
 * Architect: the project's repository (made on its first run, reused for every change after),
 * its URL recorded on the project, the scaffold pushed on the first run, and the branch this run
 * works on: the default branch for the first build, a branch of its own (and later a pull
 * request) for a change.
 */
export async function prepareRepositoryStep(
  deps: {
    gitHost: GitHost;
    projects: ProjectRepository;
    projectService: ProjectService;
    runs: RunRecords;
    documents: PipelineDocuments;
  },
  input: { run: RunRef; specRef: string; runNumber?: number },
): Promise<{ repository: string; projectName: string; htmlUrl: string; branch: string; specPath: string }> {
  const project = await deps.projects.get(input.run.projectId);
  if (!project) throw new Error(`Project ${input.run.projectId} is gone`);
  // From the run's input: the run record is written after the start, possibly after this step.
  const number = input.runNumber ?? (await deps.runs.get(project.id, input.run.name))?.number ?? 1;
  const repoName = project.id;
  const repository = await deps.gitHost.ensureRepository(repoName, {
    description: project.description.slice(0, 300),
    private: true,
  });
  await deps.projectService.markStatus(project.id, 'engineering', {
    fullName: repository.fullName,
    htmlUrl: repository.htmlUrl,
  });
  await deps.runs.update(project.id, input.run.name, { htmlUrl: repository.htmlUrl });
  // The spec lives in the repository, versioned with the code it asks for; the worker reads it there.
  const spec = await deps.documents.get(project.id, input.specRef);
  const title = /^# Spec: (.+)$/m.exec(spec)?.[1] ?? project.name;
  const branch = number === 1 ? repository.defaultBranch : branchFor(number);
  await deps.gitHost.commitFiles(repoName, {
    branch,
    message: `${project.repository ? 'Spec' : 'Scaffold: tests, lint, health endpoint, env contract; spec'} for run ${input.run.name}`,
    files: { ...(project.repository ? {} : scaffoldFiles(project, title)), [SPEC_PATH]: `${spec}\n` },
  });
  const result = { repository: repository.fullName, projectName: project.name, branch, specPath: SPEC_PATH };
  if (branch === repository.defaultBranch) return { ...result, htmlUrl: repository.htmlUrl };
  // A change to a built project arrives as a pull request, opened now with its spec and updated by
  // every push of the run; the owner's link is the pull request's.
  const pull = await deps.gitHost.ensurePullRequest(repoName, {
    head: branch,
    base: repository.defaultBranch,
    title: title.slice(0, 200),
    body: `Run ${input.run.name}. The spec is in ${SPEC_PATH}; the tests run on a clean checkout of every push.`,
  });
  await deps.runs.update(project.id, input.run.name, { htmlUrl: pull.htmlUrl });
  return { ...result, htmlUrl: pull.htmlUrl };
}
