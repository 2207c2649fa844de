import type { GitHost, TokenAccess } from '../../../ports/git-host.ts';
import type { Pipelines } from '../../../ports/pipelines.ts';
import { forbidden } from '../../errors.ts';
import type { KnowledgeSearch } from '../../knowledge/knowledge-search.ts';
import type { ProjectRepository } from '../../projects/project-repository.ts';
import type { PipelineDocuments } from '../documents.ts';
import type { RunRecords } from '../run-records.ts';
import { knowledgeBrief, requestRefOf } from './knowledge-brief.ts';

export interface JobContextRequest {
  runName: string;
  projectId: string;
  access: TokenAccess;
  specRef?: string;
  reportRef?: string | null;
}

export interface JobContext {
  /** For git only: `x-access-token` basic auth; valid about an hour, for this one repository. */
  token: string;
  cloneUrl: string;
  htmlUrl: string;
  defaultBranch: string;
  spec?: string;
  testReport?: string;
  /**
   * The developer on a change or fix (a run after the first build): the project's knowledge for
   * the run's request, quoted as untrusted data.
   */
  knowledge?: string;
}

/**
 * The token broker: a worker asks for what its job needs that must not travel in the task's
 * overrides or the execution's payload (a repository token, the spec, the last test report).
 * Only a run that is still going gets anything, and only for its own project's repository.
 */
export async function jobContextStep(
  deps: {
    pipelines: Pipelines;
    runs: RunRecords;
    gitHost: GitHost;
    documents: PipelineDocuments;
    knowledge?: { search: Pick<KnowledgeSearch, 'search'>; projects: Pick<ProjectRepository, 'get'> };
  },
  request: JobContextRequest,
): Promise<JobContext> {
  const record = await deps.runs.get(request.projectId, request.runName);
  if (!record) throw forbidden(`No run ${request.runName} for project ${request.projectId}`);
  const run = await deps.pipelines.describe(record.runId);
  if (run.status !== 'RUNNING') throw forbidden(`Run ${request.runName} is ${run.status}`);
  const repository = await deps.gitHost.getRepository(request.projectId);
  if (!repository) throw forbidden(`Project ${request.projectId} has no repository yet`);
  const { token } = await deps.gitHost.repositoryToken(request.projectId, request.access);
  const [spec, testReport, knowledge] = await Promise.all([
    request.specRef ? deps.documents.get(request.projectId, request.specRef) : undefined,
    request.reportRef ? deps.documents.get(request.projectId, request.reportRef) : undefined,
    request.access === 'write' && record.number > 1 ? developerBrief(deps, request) : undefined,
  ]);
  return {
    token,
    cloneUrl: repository.cloneUrl,
    htmlUrl: repository.htmlUrl,
    defaultBranch: repository.defaultBranch,
    ...(spec ? { spec } : {}),
    ...(testReport ? { testReport } : {}),
    ...(knowledge ? { knowledge } : {}),
  };
}

async function developerBrief(
  deps: Parameters<typeof jobContextStep>[0],
  request: JobContextRequest,
): Promise<string | undefined> {
  if (!deps.knowledge) return undefined;
  const [project, asked] = await Promise.all([
    deps.knowledge.projects.get(request.projectId),
    deps.documents.get(request.projectId, requestRefOf(request.runName)).catch(() => undefined),
  ]);
  return project && asked ? knowledgeBrief(deps.knowledge.search, project, asked) : undefined;
}
