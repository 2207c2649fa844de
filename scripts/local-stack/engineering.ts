import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Api } from 'grammy';
import { stopLocalServices } from '../../containers/deployer/src/local-services.ts';
import { runLocalWorker } from '../../containers/shared/local-worker-process.ts';
import { type LocalGitServer, startLocalGitServer } from '../../lambdas/adapters/local/git-http-server.ts';
import { LocalGitHost } from '../../lambdas/adapters/local/local-git-host.ts';
import {
  LocalStepFunctions,
  type LocalTaskLauncher,
  startSfnEndpoint,
} from '../../lambdas/adapters/local/local-step-functions.ts';
import { TelegramChat } from '../../lambdas/adapters/telegram/telegram-chat.ts';
import { buildDeploymentResources } from '../../lambdas/app/deployment-resources-wiring.ts';
import { buildDevopsSteps } from '../../lambdas/app/devops-steps.ts';
import { buildEngineeringSteps, type StepHandler } from '../../lambdas/app/engineering-steps.ts';
import { PipelineDocuments } from '../../lambdas/domain/pipelines/documents.ts';
import { TaskTokenError } from '../../lambdas/ports/pipelines.ts';
import type { WorkerTasks } from '../../lambdas/ports/worker-tasks.ts';
import { buildModels } from '../../lambdas/runtime/build-models.ts';
import type { Runtime } from '../../lambdas/runtime/runtime.ts';

/**
 * The pipelines on one machine (engineering and devops): the ASL file run by the local Step Functions runner,
 * its Lambda steps in-process (the same step code as the deployed functions), its Fargate workers
 * as child processes (their main.ts), the local git server as GitHub. Runs survive a restart.
 */
export interface LocalEngineering {
  gitServer: LocalGitServer;
  gitHost: LocalGitHost;
  pipelines: LocalStepFunctions;
  /** The Step Functions JSON API, for `npm run runs` and anything using the real SDK. */
  sfnUrl: string;
  stop(): Promise<void>;
}

/** The state machine's substitutions on this machine: short names the local runner dispatches on. */
export const LOCAL_SUBSTITUTIONS: Record<string, string> = {
  NotifyOwnerFunction: 'notify-owner',
  AnalystFunction: 'analyst',
  ArchitectFunction: 'architect',
  RecordAttemptFunction: 'record-attempt',
  EscalateFunction: 'escalate',
  StopWorkersFunction: 'stop-workers',
  StartDeployFunction: 'start-deploy',
  CheckBudgetFunction: 'check-budget',
  AskBudgetFunction: 'ask-budget',
  IndexKnowledgeFunction: 'index-knowledge',
  Cluster: 'local',
  CodingWorkerTaskDefinition: 'coding-worker',
  TesterTaskDefinition: 'tester',
  SubnetA: 'local',
  SubnetB: 'local',
  WorkerSecurityGroup: 'local',
  AnalyseEnvFunction: 'analyse-env',
  PrepareSecretsFunction: 'prepare-secrets',
  AskForSecretFunction: 'ask-for-secret',
  AllocateResourcesFunction: 'allocate-resources',
  SmokeTestFunction: 'smoke-test',
  RecordReleaseFunction: 'record-release',
  DeployerTaskDefinition: 'deployer',
};

export function loadDefinition(
  file: string,
  substitutions: Record<string, string>,
  heartbeatLimitSeconds?: number,
  humanWaitLimitSeconds?: number,
): object {
  const text = readFileSync(file, 'utf8').replace(/\$\{(\w+)\}/g, (match, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`${file}: no local value for ${match}`);
    return value;
  });
  const definition = JSON.parse(text) as {
    States: Record<string, { HeartbeatSeconds?: number; TimeoutSeconds?: number; Resource?: string }>;
  };
  // Tests only (LOCAL_HEARTBEAT_LIMIT_SECONDS): a worker that stops heartbeating is noticed in
  // seconds instead of the deployed minutes; the definition is otherwise the deployed one.
  if (heartbeatLimitSeconds !== undefined) {
    for (const state of Object.values(definition.States)) {
      if (state.Resource?.startsWith('arn:aws:states:::ecs:') && state.HeartbeatSeconds !== undefined) {
        state.HeartbeatSeconds = Math.min(state.HeartbeatSeconds, heartbeatLimitSeconds);
      }
    }
  }
  // Tests only (LOCAL_HUMAN_WAIT_LIMIT_SECONDS): a wait on a person (a secret, a decision) times
  // out in seconds instead of a day.
  if (humanWaitLimitSeconds !== undefined) {
    for (const state of Object.values(definition.States)) {
      if (state.Resource === 'arn:aws:states:::lambda:invoke.waitForTaskToken') {
        state.TimeoutSeconds = Math.min(state.TimeoutSeconds ?? humanWaitLimitSeconds, humanWaitLimitSeconds);
        if (state.HeartbeatSeconds !== undefined)
          state.HeartbeatSeconds = Math.min(state.HeartbeatSeconds, state.TimeoutSeconds);
      }
    }
  }
  return definition;
}

export async function startLocalEngineering(options: {
  dataDir: string;
  runtime: Runtime;
  botToken: string;
  sfnPort?: number;
  /** For the worker processes: CODING_ENGINE, SCRIPTED_ENGINE_FAIL_ATTEMPTS, HEARTBEAT_SECONDS... */
  workerEnv?: Record<string, string>;
  heartbeatLimitSeconds?: number;
  humanWaitLimitSeconds?: number;
  /** The local server's port range for deployed apps (LOCAL_SERVER_PORTS; default 20000-20999). */
  serverPorts?: { from: number; to: number };
  /** Stop the apps deployed to the local server when the stack stops (default true). */
  stopDeployedServices?: boolean;
  log?: (line: string) => void;
}): Promise<LocalEngineering> {
  const { runtime } = options;
  const gitServer = await startGitServerOnSavedPort(options.dataDir, options.log);
  const gitHost = new LocalGitHost(gitServer);
  const running = new Map<string, Set<{ kill(): void }>>();
  const workerTasks: WorkerTasks = {
    stopGroup: async (group) => {
      const handles = running.get(group) ?? new Set();
      for (const handle of handles) handle.kill();
      running.delete(group);
      return handles.size;
    },
  };
  let pipelines: LocalStepFunctions | undefined;
  const steps = buildEngineeringSteps(runtime, {
    chat: new TelegramChat(new Api(options.botToken, { apiRoot: runtime.config.telegramApiRoot })),
    model: () => buildModels(runtime.config, runtime.cachedSecrets, runtime.logger, runtime.telemetry).agent,
    gitHost,
    get pipelines() {
      if (!pipelines) throw new Error('local pipelines not started');
      return pipelines;
    },
    workerTasks,
    ...(runtime.knowledge ? { knowledge: runtime.knowledge } : {}),
  });
  const documents = new PipelineDocuments(runtime.store);
  const { inventory, resources } = buildDeploymentResources(runtime);
  // The local "server": a directory under the data directory, deployed to with connection local.
  const serversDir = join(options.dataDir, 'servers', 'local');
  await inventory.ensureLocal(serversDir, options.serverPorts);
  const devopsSteps = buildDevopsSteps(runtime, {
    model: () => buildModels(runtime.config, runtime.cachedSecrets, runtime.logger, runtime.telemetry).agent,
    gitHost,
    get pipelines() {
      if (!pipelines) throw new Error('local pipelines not started');
      return pipelines;
    },
    workerTasks,
    resources,
    inventory,
  });
  const launcher =
    (worker: 'coding' | 'tester' | 'deployer'): LocalTaskLauncher =>
    (request) => {
      const token = request.environment.TASK_TOKEN ?? '';
      const job = JSON.parse(request.environment.JOB ?? '{}') as Record<string, unknown>;
      const runName = String(job.runName ?? '');
      const projectId = String(job.projectId ?? '');
      const local = pipelines!;
      const tokenErrors = (error: unknown) => {
        if (error instanceof TaskTokenError) throw new Error(error.reason);
        throw error;
      };
      const start = async () => {
        // The deployed worker gets the last test report from the token broker; here, its parent.
        const report =
          typeof job.reportRef === 'string'
            ? await documents.get(projectId, job.reportRef).catch(() => undefined)
            : undefined;
        return runLocalWorker({
          worker,
          job: { ...job, ...(report ? { testReport: report } : {}) },
          env: {
            PATH: process.env.PATH ?? '/usr/bin:/bin',
            HOME: process.env.HOME ?? '/tmp',
            ...options.workerEnv,
          },
          handlers: {
            token: async () => {
              const context = (await steps['job-context']({
                runName,
                projectId,
                access: worker === 'coding' ? 'write' : 'read',
              })) as { token: string; cloneUrl: string; knowledge?: string };
              return {
                token: context.token,
                cloneUrl: context.cloneUrl,
                ...(context.knowledge ? { knowledge: context.knowledge } : {}),
              };
            },
            context: () => devopsSteps['deploy-context']({ runName, projectId }),
            heartbeat: () => local.sendTaskHeartbeat(token).catch(tokenErrors),
            success: (output) => local.sendTaskSuccess(token, output).catch(tokenErrors),
            failure: (error, cause) => local.sendTaskFailure(token, error, cause).catch(tokenErrors),
          },
        });
      };
      const child = start();
      const handle = {
        kill: () => void child.then((c) => c.kill('SIGKILL')),
      };
      const group = request.startedBy ?? runName;
      const set = running.get(group) ?? new Set();
      set.add(handle);
      running.set(group, set);
      const exited = child.then((c) => c.exited);
      void exited.finally(() => running.get(group)?.delete(handle));
      return { pid: child.then((c) => c.pid), exited, kill: handle.kill };
    };
  const lambdas = Object.fromEntries(
    Object.entries({ ...steps, ...devopsSteps }).filter(
      ([name]) => name !== 'job-context' && name !== 'deploy-context',
    ),
  ) as Record<string, StepHandler>;
  pipelines = new LocalStepFunctions({
    dataDir: join(options.dataDir, 'stepfunctions'),
    definitions: {
      engineering: {
        definition: loadDefinition(
          new URL('../../state-machines/engineering.asl.json', import.meta.url).pathname,
          LOCAL_SUBSTITUTIONS,
          options.heartbeatLimitSeconds,
          options.humanWaitLimitSeconds,
        ),
      },
      devops: {
        definition: loadDefinition(
          new URL('../../state-machines/devops.asl.json', import.meta.url).pathname,
          LOCAL_SUBSTITUTIONS,
          options.heartbeatLimitSeconds,
          options.humanWaitLimitSeconds,
        ),
      },
    } as never,
    lambdas,
    tasks: {
      'coding-worker': launcher('coding'),
      tester: launcher('tester'),
      deployer: launcher('deployer'),
    },
    log: (message, fields) => options.log?.(`${message} ${fields ? JSON.stringify(fields) : ''}`),
  });
  const endpoint = await startSfnEndpoint(pipelines, options.sfnPort ?? 0);
  return {
    gitServer,
    gitHost,
    pipelines,
    sfnUrl: endpoint.url,
    stop: async () => {
      await pipelines?.close();
      for (const group of [...running.keys()]) await workerTasks.stopGroup(group, 'stack stopping');
      await endpoint.close();
      await gitServer.stop();
      // The local server lives with the stack: its supervised apps stop with it.
      if (options.stopDeployedServices !== false) await stopLocalServices(serversDir);
    },
  };
}

/**
 * The git host on the port it had last time: repository links already sent to owners, and those
 * in the journal of a run a restart resumes, name that port. Another free one if it is taken.
 */
async function startGitServerOnSavedPort(
  dataDir: string,
  log?: (line: string) => void,
): Promise<LocalGitServer> {
  const file = join(dataDir, 'git-host', 'port');
  const saved = Number(await readFile(file, 'utf8').catch(() => '0')) || 0;
  let server: LocalGitServer;
  try {
    server = await startLocalGitServer({ dataDir, org: 'local', port: saved });
  } catch (error) {
    if (saved === 0 || (error as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw error;
    log?.(`git host port ${saved} is taken: links sent before name a port nothing serves now`);
    server = await startLocalGitServer({ dataDir, org: 'local' });
  }
  await writeFile(file, new URL(server.url).port, { mode: 0o600 });
  return server;
}
