import { notFound } from '../../errors.ts';
import type { PipelineDocuments } from '../../pipelines/documents.ts';
import type { RunRef } from '../../pipelines/steps/run-ref.ts';
import type { ProjectRepository } from '../../projects/project-repository.ts';
import type { DeploymentResources } from '../deployment-resources.ts';
import { BOT_TOKEN_VARIABLE } from '../env-analysis.ts';
import type { ProjectSecrets } from '../project-secrets.ts';
import { readAnalysis } from './analyse-env.ts';

export interface AllocatedResources {
  serverId: string;
  port: number;
  /** Where the service answers once deployed: `http://<host>:<port>`. */
  url: string;
  botUsername: string | null;
}

/**
 * Resources: a server and a port no other project holds on it, and a pool bot when the project
 * needs one and the person gave none. Idempotent per project: a retried step (or the next deploy)
 * gets the same server, port and bot back.
 */
export async function allocateResourcesStep(
  deps: {
    documents: PipelineDocuments;
    projects: ProjectRepository;
    secrets: ProjectSecrets;
    resources: DeploymentResources;
  },
  input: { run: RunRef; analysisRef: string },
): Promise<AllocatedResources> {
  const project = await deps.projects.get(input.run.projectId);
  if (!project) throw notFound(`Project ${input.run.projectId}`);
  const analysis = await readAnalysis(deps.documents, project.id, input.analysisRef);
  const allocation = await deps.resources.allocate(project, {
    needsBotToken: analysis.needsBotToken,
    hasOwnBotToken: await deps.secrets.has(project.id, BOT_TOKEN_VARIABLE),
  });
  return {
    serverId: allocation.serverId,
    port: allocation.port,
    url: `http://${allocation.host}:${allocation.port}`,
    botUsername: allocation.bot?.username ?? null,
  };
}
