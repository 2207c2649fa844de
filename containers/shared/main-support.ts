import { LambdaClient } from '@aws-sdk/client-lambda';
import type { TokenAccess } from '../../lambdas/ports/git-host.ts';
import { type DeployContext, DeployContextError, parseDeployContext } from './deploy-context.ts';
import { failureCause, failureName, isStop } from './errors.ts';
import { ipcChannel } from './ipc-channel.ts';
import { lambdaDeployContext } from './lambda-deploy-context.ts';
import { lambdaTokenBroker } from './lambda-token-broker.ts';
import { sfnCallbacks } from './sfn-callbacks.ts';
import { httpTokenBroker } from './token-broker-client.ts';
import type { Logger, RepositoryAccess, WorkerCallbacks, WorkerExit } from './types.ts';

/** One JSON line per event on stdout, as CloudWatch Logs (awslogs) reads them. */
export function jsonLogger(worker: string): Logger {
  const write = (level: string) => (message: string, data?: Record<string, unknown>) =>
    process.stdout.write(
      `${JSON.stringify({ level, worker, message, ...data, time: new Date().toISOString() })}\n`,
    );
  return { info: write('INFO'), warn: write('WARN'), error: write('ERROR') };
}

/**
 * Callbacks and token broker for a worker's main: over IPC when a local parent started it
 * (`TASK_CALLBACKS=ipc`), else Step Functions' SendTask* with `TASK_TOKEN` and the HTTP broker
 * at `TOKEN_BROKER_URL`. TASK_TOKEN is removed from the environment once read, so nothing the
 * worker starts inherits it.
 */
export function wireCallbacks(env: NodeJS.ProcessEnv): {
  callbacks: WorkerCallbacks;
  repositoryAccess(job: { runName: string; repository: string }, access: TokenAccess): RepositoryAccess;
  /** The deployer's context source (IPC parent or the job-context Lambda), validated. */
  deployContext(job: { runName: string; projectId: string }): () => Promise<DeployContext>;
  /** Stops the work: SIGTERM / SIGINT, or over IPC the parent going away. */
  stopped: AbortSignal;
  close(): void;
} {
  const taskToken = env.TASK_TOKEN ?? '';
  delete env.TASK_TOKEN;
  if (env.TASK_CALLBACKS === 'ipc') {
    const channel = ipcChannel();
    return {
      ...channel,
      repositoryAccess: () => channel.repositoryAccess,
      deployContext: () => async () => parseDeployContext(await channel.context()),
      // An orphan (its runner killed with SIGKILL) stops at once rather than at its next heartbeat.
      stopped: AbortSignal.any([terminationSignal(), channel.lost]),
    };
  }
  if (!taskToken) throw new Error('TASK_TOKEN is not set');
  // Deployed: the job-context Lambda (JOB_CONTEXT_FUNCTION, set by CDK); else an HTTP broker.
  const functionName = env.JOB_CONTEXT_FUNCTION;
  if (functionName) {
    const client = new LambdaClient({});
    return {
      callbacks: sfnCallbacks(taskToken),
      repositoryAccess: (job, access) => lambdaTokenBroker({ client, functionName, ...job, access }),
      deployContext: (job) => lambdaDeployContext({ client, functionName, ...job }),
      stopped: terminationSignal(),
      close() {},
    };
  }
  const brokerUrl = env.TOKEN_BROKER_URL;
  if (!brokerUrl) throw new Error('JOB_CONTEXT_FUNCTION or TOKEN_BROKER_URL must be set');
  return {
    callbacks: sfnCallbacks(taskToken),
    repositoryAccess: (job, access) => httpTokenBroker({ url: brokerUrl, taskToken, ...job, access }),
    deployContext: () => async () => {
      // The HTTP broker hands out repository tokens only; a .env and an SSH key need the Lambda.
      throw new DeployContextError('The deploy context needs JOB_CONTEXT_FUNCTION (or TASK_CALLBACKS=ipc)');
    },
    stopped: terminationSignal(),
    close() {},
  };
}

/**
 * Reports what stopped the worker before it could start (a job that does not parse, an engine
 * misconfigured), so the pipeline fails at once instead of waiting for the task's timeout.
 */
export async function reportStartupFailure(
  callbacks: WorkerCallbacks,
  error: unknown,
): Promise<WorkerExit | 'unreportable'> {
  try {
    await callbacks.failure(failureName(error), failureCause(error, []));
    return 'failed';
  } catch (reportError) {
    if (isStop(reportError)) return 'stopped';
    return 'unreportable';
  }
}

/**
 * Exit codes: 0 reported success, 1 reported failure, 2 stopped (the task token is dead),
 * 3 the job could not even be reported (bad configuration before the callbacks existed).
 */
export const EXIT_CODES: Record<WorkerExit | 'unreportable', number> = {
  succeeded: 0,
  failed: 1,
  stopped: 2,
  unreportable: 3,
};

/** An AbortSignal fired by SIGTERM (ECS StopTask) or SIGINT. */
export function terminationSignal(): AbortSignal {
  const controller = new AbortController();
  const stop = (signal: string) => controller.abort(new Error(`Received ${signal}`));
  process.once('SIGTERM', () => stop('SIGTERM'));
  process.once('SIGINT', () => stop('SIGINT'));
  return controller.signal;
}
