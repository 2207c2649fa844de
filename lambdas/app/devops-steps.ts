import type { DeploymentResources } from '../domain/deploys/deployment-resources.ts';
import { ProjectSecrets } from '../domain/deploys/project-secrets.ts';
import { SecretRequests } from '../domain/deploys/secret-requests.ts';
import type { ServerInventory } from '../domain/deploys/server-inventory.ts';
import { allocateResourcesStep } from '../domain/deploys/steps/allocate-resources.ts';
import { analyseEnvStep } from '../domain/deploys/steps/analyse-env.ts';
import { askForSecretStep } from '../domain/deploys/steps/ask-for-secret.ts';
import { type DeployContextRequest, deployContextStep } from '../domain/deploys/steps/deploy-context.ts';
import { prepareSecretsStep } from '../domain/deploys/steps/prepare-secrets.ts';
import { recordReleaseStep } from '../domain/deploys/steps/record-release.ts';
import { fetchProbe, type HttpProbe, smokeTestStep } from '../domain/deploys/steps/smoke-test.ts';
import { PipelineDocuments } from '../domain/pipelines/documents.ts';
import { RunRecords } from '../domain/pipelines/run-records.ts';
import type { RunRef } from '../domain/pipelines/steps/run-ref.ts';
import { ProjectRepository } from '../domain/projects/project-repository.ts';
import { ProjectService } from '../domain/projects/project-service.ts';
import { UsageLedger } from '../domain/usage/usage-ledger.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { LanguageModel } from '../ports/language-model.ts';
import type { Pipelines } from '../ports/pipelines.ts';
import type { WorkerTasks } from '../ports/worker-tasks.ts';
import type { Runtime } from '../runtime/runtime.ts';
import type { StepHandler } from './engineering-steps.ts';

/** The devops state machine's Lambda steps, by the name each function has locally. */
export type DevopsStepName =
  | 'analyse-env'
  | 'prepare-secrets'
  | 'ask-for-secret'
  | 'allocate-resources'
  | 'smoke-test'
  | 'record-release'
  | 'deploy-context';

export interface DevopsStepPorts {
  model: () => LanguageModel;
  gitHost?: GitHost;
  pipelines: Pipelines;
  workerTasks: WorkerTasks;
  resources: DeploymentResources;
  inventory: ServerInventory;
  probe?: HttpProbe;
}

/**
 * Builds the devops steps on one runtime (notify-owner and stop-workers are the engineering
 * pipeline's, shared). The AWS handlers (lambdas/handlers/devops/) each take theirs; the local
 * stack hands all of them to its Step Functions runner.
 */
export function buildDevopsSteps(
  runtime: Pick<Runtime, 'store' | 'queue' | 'config' | 'secrets'>,
  ports: DevopsStepPorts,
): Record<DevopsStepName, StepHandler> {
  const { store } = runtime;
  const documents = new PipelineDocuments(store);
  const deploys = new RunRecords(store, 'devops');
  const builds = new RunRecords(store, 'engineering');
  const projects = new ProjectRepository(store);
  const projectService = new ProjectService(projects);
  const usage = new UsageLedger(store, runtime.config.llm.prices);
  const projectSecrets = new ProjectSecrets(runtime.secrets, runtime.config.projectSecretsPrefix);
  const requests = new SecretRequests(store);
  const gitHost = (): GitHost => {
    if (!ports.gitHost)
      throw new Error('No git host is configured (GIT_HOST_DRIVER): see the README, GitHub App');
    return ports.gitHost;
  };
  return {
    'analyse-env': (payload) =>
      analyseEnvStep(
        { gitHost: gitHost(), projects, model: ports.model(), documents, usage, deploys },
        payload as { run: RunRef; commit: string },
      ),
    'prepare-secrets': (payload) =>
      prepareSecretsStep(
        {
          documents,
          secrets: projectSecrets,
          botPool: { canProvide: (id) => ports.resources.canProvideBot(id) },
        },
        payload as { run: RunRef; analysisRef: string },
      ),
    'ask-for-secret': (payload) =>
      askForSecretStep(
        { requests, queue: runtime.queue },
        payload as { run: RunRef; key: string; taskToken: string },
      ),
    'allocate-resources': (payload) =>
      allocateResourcesStep(
        { documents, projects, secrets: projectSecrets, resources: ports.resources },
        payload as { run: RunRef; analysisRef: string },
      ),
    'smoke-test': (payload) =>
      smokeTestStep({ probe: ports.probe ?? fetchProbe }, payload as { run: RunRef; url: string }),
    'record-release': (payload) =>
      recordReleaseStep(
        { projects: projectService, deploys, builds, documents },
        payload as { run: RunRef; commit: string; url: string; previousRelease: string | null },
      ),
    'deploy-context': (payload) =>
      deployContextStep(
        {
          pipelines: ports.pipelines,
          deploys,
          gitHost: gitHost(),
          documents,
          projectSecrets,
          secrets: runtime.secrets,
          resources: ports.resources,
          inventory: ports.inventory,
        },
        payload as DeployContextRequest,
      ),
  };
}
