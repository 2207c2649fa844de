import { readFileSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Api } from 'grammy';
import { runLocalWorker } from '../../containers/shared/local-worker-process.ts';
import { type LocalGitServer, startLocalGitServer } from '../../lambdas/adapters/local/git-http-server.ts';
import { LocalGitHost } from '../../lambdas/adapters/local/local-git-host.ts';
import {
  LocalStepFunctions,
  type LocalTaskLauncher,
  startSfnEndpoint,
} from '../../lambdas/adapters/local/local-step-functions.ts';
import { TelegramChat } from '../../lambdas/adapters/telegram/telegram-chat.ts';
import { buildEngineeringSteps, type StepHandler } from '../../lambdas/app/engineering-steps.ts';
import { PipelineDocuments } from '../../lambdas/domain/pipelines/documents.ts';
import { TaskTokenError } from '../../lambdas/ports/pipelines.ts';
import type { WorkerTasks } from '../../lambdas/ports/worker-tasks.ts';
import { buildModels } from '../../lambdas/runtime/build-models.ts';
import type { Runtime } from '../../lambdas/runtime/runtime.ts';

/**
 * The engineering pipeline on one machine: the ASL file run by the local Step Functions runner,
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
  Cluster: 'local',
  CodingWorkerTaskDefinition: 'coding-worker',
  TesterTaskDefinition: 'tester',
  SubnetA: 'local',
  SubnetB: 'local',
  WorkerSecurityGroup: 'local',
};

export function loadDefinition(
  file: string,
  substitutions: Record<string, string>,
  heartbeatLimitSeconds?: number,
): object {
  const text = readFileSync(file, 'utf8').replace(/\$\{(\w+)\}/g, (match, name: string) => {
    const value = substitutions[name];
    if (value === undefined) throw new Error(`${file}: no local value for ${match}`);
    return value;
  });
  const definition = JSON.parse(text) as {
    States: Record<string, { HeartbeatSeconds?: number; Resource?: string }>;
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
  });
  const documents = new PipelineDocuments(runtime.store);
  const launcher =
    (worker: 'coding' | 'tester'): LocalTaskLauncher =>
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
                access: worker === 'tester' ? 'read' : 'write',
              })) as { token: string; cloneUrl: string };
              return { token: context.token, cloneUrl: context.cloneUrl };
            },
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
    Object.entries(steps).filter(([name]) => name !== 'job-context'),
  ) as Record<string, StepHandler>;
  pipelines = new LocalStepFunctions({
    dataDir: join(options.dataDir, 'stepfunctions'),
    definitions: {
      engineering: {
        definition: loadDefinition(
          new URL('../../state-machines/engineering.asl.json', import.meta.url).pathname,
          LOCAL_SUBSTITUTIONS,
          options.heartbeatLimitSeconds,
        ),
      },
    } as never,
    lambdas,
    tasks: { 'coding-worker': launcher('coding'), tester: launcher('tester') },
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
