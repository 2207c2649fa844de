import type { GitHost } from '../../../ports/git-host.ts';
import type { Pipelines } from '../../../ports/pipelines.ts';
import type { SecretStore } from '../../../ports/secrets.ts';
import { forbidden } from '../../errors.ts';
import type { PipelineDocuments } from '../../pipelines/documents.ts';
import type { RunRecords } from '../../pipelines/run-records.ts';
import type { DeploymentResources } from '../deployment-resources.ts';
import { BOT_TOKEN_VARIABLE, PROVIDED_BY_DEPLOY } from '../env-analysis.ts';
import type { ProjectSecrets } from '../project-secrets.ts';
import type { ServerInventory } from '../server-inventory.ts';
import { readAnalysis } from './analyse-env.ts';

export interface DeployContextRequest {
  runName: string;
  projectId: string;
}

/** What the deployer gets through the broker (containers/shared/deploy-context.ts validates it). */
export interface DeployContext {
  token: string;
  cloneUrl: string;
  env: Record<string, string>;
  server: {
    kind: 'local' | 'ssh';
    host: string;
    sshUser: string;
    sshPort: number;
    baseDir: string;
    privateKey?: string;
  };
}

/**
 * The deployer's broker: a read token for the repository, the whole .env (configuration and the
 * project's secret values) and the server's SSH key, none of which may travel in the task's
 * overrides or the run's payload. Only a deploy run that is still going gets them, and only for
 * its own project; the values are read here, in the one function whose role may read them.
 */
export async function deployContextStep(
  deps: {
    pipelines: Pipelines;
    deploys: RunRecords;
    gitHost: GitHost;
    documents: PipelineDocuments;
    projectSecrets: ProjectSecrets;
    secrets: SecretStore;
    resources: DeploymentResources;
    inventory: ServerInventory;
  },
  request: DeployContextRequest,
): Promise<DeployContext> {
  const record = await deps.deploys.get(request.projectId, request.runName);
  if (!record) throw forbidden(`No deploy ${request.runName} for project ${request.projectId}`);
  const run = await deps.pipelines.describe(record.runId);
  if (run.status !== 'RUNNING') throw forbidden(`Deploy ${request.runName} is ${run.status}`);
  const allocation = await deps.resources.of(request.projectId);
  if (!allocation) throw forbidden(`Project ${request.projectId} has no server yet`);
  const server = await deps.inventory.get(allocation.serverId);
  if (!server) throw forbidden(`Server ${allocation.serverId} is gone`);
  const repositoryName = record.repository?.split('/')[1];
  const repository = repositoryName ? await deps.gitHost.getRepository(repositoryName) : undefined;
  if (!repository || !repositoryName) throw forbidden(`Project ${request.projectId} has no repository`);
  const { token } = await deps.gitHost.repositoryToken(repositoryName, 'read');

  const analysis = record.analysisRef
    ? await readAnalysis(deps.documents, request.projectId, record.analysisRef)
    : { variables: [], needsBotToken: false };
  const env: Record<string, string> = {};
  for (const variable of analysis.variables) {
    if (PROVIDED_BY_DEPLOY.has(variable.name)) continue;
    if (variable.class === 'config') {
      const value = (await deps.projectSecrets.read(request.projectId, variable.name)) ?? variable.default;
      if (value !== undefined) env[variable.name] = value;
      continue;
    }
    const value = await deps.projectSecrets.read(request.projectId, variable.name);
    if (value !== undefined) env[variable.name] = value;
    else if (variable.name === BOT_TOKEN_VARIABLE && allocation.bot)
      env[variable.name] = await deps.secrets.get(allocation.bot.secretName);
    else throw forbidden(`${variable.name} has no value yet: the run should have asked for it`);
  }
  env.PORT = String(allocation.port);
  return {
    token,
    cloneUrl: repository.cloneUrl,
    env,
    server: {
      kind: server.kind,
      host: server.host,
      sshUser: server.sshUser,
      sshPort: server.sshPort,
      baseDir: server.baseDir,
      ...(server.kind === 'ssh' ? { privateKey: await deps.inventory.sshKey(server) } : {}),
    },
  };
}
