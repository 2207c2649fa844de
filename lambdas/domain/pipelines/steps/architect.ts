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
  input: { run: RunRef; specRef: string },
): Promise<{ repository: string; projectName: string; htmlUrl: string; branch: string; specPath: string }> {
  const project = await deps.projects.get(input.run.projectId);
  if (!project) throw new Error(`Project ${input.run.projectId} is gone`);
  const record = await deps.runs.get(project.id, input.run.name);
  const number = record?.number ?? 1;
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
  return {
    repository: repository.fullName,
    projectName: project.name,
    htmlUrl: repository.htmlUrl,
    branch,
    specPath: SPEC_PATH,
  };
}
