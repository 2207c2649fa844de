import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { contextSecrets, type DeployContext } from '../../shared/deploy-context.ts';
import { failureCause, failureName, isStop } from '../../shared/errors.ts';
import type { Git } from '../../shared/git.ts';
import { startHeartbeats } from '../../shared/heartbeats.ts';
import type { DeployJob } from '../../shared/job.ts';
import { runCommand } from '../../shared/run-command.ts';
import type { Clock, Logger, WorkerCallbacks, WorkerExit } from '../../shared/types.ts';
import { playbookRun, type Runner } from './playbook-command.ts';
import { type SshAgent, startSshAgent } from './ssh-agent.ts';

/**
 * The deployer: the DevOps pipeline's Deploy and Roll back steps. Deploy = fresh clone with the
 * context's token, `git archive` of the commit, then the Ansible play that unpacks it as a release,
 * writes the .env, switches `current` and (re)starts the app. Roll back = the play that switches
 * back to the previous release. The token, the .env values and the SSH key come from `context()`,
 * never from the job, and are redacted from every failure cause.
 */
export interface DeployerDeps {
  context: () => Promise<DeployContext>;
  callbacks: WorkerCallbacks;
  git: Git;
  logger: Logger;
  clock: Clock;
  /** Default 60 s. */
  heartbeatIntervalMs?: number;
  /** Parent of the run's temp directory (default the OS temp dir). */
  workRoot?: string;
  /** Aborts the run from outside (SIGTERM from ECS). */
  signal?: AbortSignal;
  /** Default `ansible-playbook` on PATH. */
  ansiblePlaybook?: string;
  /** `process` (a supervised process: the local stack) or `docker` (compose on a server). Default process. */
  runner?: Runner;
  /** Default containers/deployer/playbooks (in the image: /home/node/app/playbooks). */
  playbookDir?: string;
  /** The whole play; default 15 minutes. */
  playbookTimeoutMs?: number;
  /** Where PATH, HOME and LANG for git and ansible come from (default process.env). */
  parentEnv?: NodeJS.ProcessEnv;
}

export type DeployOutput =
  | { action: 'deploy'; release: string; previousRelease: string | null; url: string }
  | {
      action: 'rollback';
      restored: string | null;
      /**
       * The tail of the failed release's log (read before the restored one starts), with every
       * value of the .env, the token and the keys replaced by `***`; at most LOG_TAIL_CHARS.
       */
      logTail: string;
    };

/** A log tail in the pipeline's output stays small (Step Functions' payloads are 256 KiB). */
export const LOG_TAIL_CHARS = 4_000;

/** ansible-playbook failed or answered nothing usable. */
export class DeployError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployError';
  }
}

const PLAYBOOK_DIR = fileURLToPath(new URL('../playbooks/', import.meta.url));

export function createWorker(deps: DeployerDeps) {
  const { callbacks, git, logger, clock } = deps;
  const timeoutMs = deps.playbookTimeoutMs ?? 15 * 60_000;
  return {
    async run(job: DeployJob): Promise<WorkerExit> {
      const controller = new AbortController();
      deps.signal?.addEventListener('abort', () => controller.abort(deps.signal?.reason), { once: true });
      const stopHeartbeats = startHeartbeats({
        callbacks,
        clock,
        logger,
        intervalMs: deps.heartbeatIntervalMs ?? 60_000,
        controller,
      });
      const secrets: string[] = [];
      let workdir: string | undefined;
      let agent: SshAgent | undefined;
      try {
        const { signal } = controller;
        const context = await deps.context();
        secrets.push(...contextSecrets(context));
        workdir = await mkdtemp(join(deps.workRoot ?? tmpdir(), 'deployer-'));
        const releaseArchive = job.action === 'deploy' ? await archive(job, context, workdir) : undefined;
        signal.throwIfAborted();
        if (context.server.kind === 'ssh') {
          agent = await startSshAgent({
            dir: workdir,
            privateKey: context.server.privateKey ?? '',
            lifetimeSeconds: Math.ceil(timeoutMs / 1000) + 60,
            path: (deps.parentEnv ?? process.env).PATH,
          });
        }
        const play = playbookRun({
          job,
          context,
          runner: deps.runner ?? 'process',
          playbookDir: deps.playbookDir ?? PLAYBOOK_DIR,
          workDir: workdir,
          releaseArchive,
          ansiblePlaybook: deps.ansiblePlaybook ?? 'ansible-playbook',
          nodeBin: process.execPath,
          parentEnv: deps.parentEnv ?? process.env,
          sshAuthSock: agent?.socket,
        });
        await writeFile(play.inventory.path, play.inventory.text, { mode: 0o600 });
        logger.info('Playbook starting', { action: job.action, commit: job.commit, runner: deps.runner });
        // Tethered: if this worker dies (SIGKILL), ansible dies with it instead of finishing a deploy
        // nobody reports. A release is switched atomically, so whatever ran so far leaves a live app.
        const result = await runCommand(play.command, play.args, {
          cwd: workdir,
          env: play.env,
          timeoutMs,
          signal,
          tetherToParent: true,
          tailChars: 6_000,
        });
        if (result.exitCode !== 0) {
          const how = result.timedOut ? `timed out after ${timeoutMs} ms` : `exit ${result.exitCode}`;
          throw new DeployError(`ansible-playbook ${job.action} failed (${how}): ${result.outputTail}`);
        }
        const output = toOutput(job, context, await readResult(play.resultFile), secrets);
        stopHeartbeats();
        await callbacks.success(output);
        logger.info('Deployed and reported', { ...output });
        return 'succeeded';
      } catch (error) {
        stopHeartbeats();
        const reason = controller.signal.aborted ? controller.signal.reason : error;
        return report(reason, secrets);
      } finally {
        agent?.stop();
        if (workdir) await rm(workdir, { recursive: true, force: true });
      }
    },
  };

  /** A fresh clone (the token only through GIT_ASKPASS), then the commit's tree as a tarball. */
  async function archive(job: DeployJob, context: DeployContext, workdir: string): Promise<string> {
    const checkout = join(workdir, 'checkout');
    await git.clone({ url: context.cloneUrl, token: context.token, dir: checkout });
    const file = join(workdir, 'release.tar.gz');
    await git.archive(checkout, job.commit, file);
    return file;
  }

  async function report(error: unknown, secrets: string[]): Promise<WorkerExit> {
    if (isStop(error)) {
      logger.warn('Stopped: the task token is no longer valid', { error: String(error) });
      return 'stopped';
    }
    const name = failureName(error);
    const cause = failureCause(error, secrets);
    logger.error('Deploy failed', { error: name, cause });
    try {
      await callbacks.failure(name, cause);
      return 'failed';
    } catch (reportError) {
      if (isStop(reportError)) return 'stopped';
      throw reportError;
    }
  }
}

/**
 * Secrets out first (a cut could leave half of one), then the newest LOG_TAIL_CHARS. An app may
 * print a value URL-encoded or JSON-escaped: those spellings go too, longest first.
 */
export function redactedTail(log: string, secrets: string[]): string {
  const spellings = secrets.flatMap((secret) => [
    secret,
    encodeURIComponent(secret),
    JSON.stringify(secret).slice(1, -1),
  ]);
  const redacted = failureCause(
    log,
    [...new Set(spellings)].sort((a, b) => b.length - a.length),
  );
  return redacted.length > LOG_TAIL_CHARS ? redacted.slice(-LOG_TAIL_CHARS) : redacted;
}

async function readResult(file: string): Promise<Record<string, unknown>> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    throw new DeployError('The playbook finished without writing its result');
  }
}

/** The play writes '' for "none" (Ansible templates have no null); the pipeline gets null. */
function toOutput(
  job: DeployJob,
  context: DeployContext,
  result: Record<string, unknown>,
  secrets: string[],
): DeployOutput {
  const release = (key: string) => {
    const value = result[key];
    return typeof value === 'string' && value !== '' ? value : null;
  };
  if (job.action === 'rollback') {
    const log = typeof result.log_tail === 'string' ? result.log_tail : '';
    return { action: 'rollback', restored: release('restored'), logTail: redactedTail(log, secrets) };
  }
  const host = context.server.host.includes(':') ? `[${context.server.host}]` : context.server.host;
  return {
    action: 'deploy',
    release: release('release') ?? job.commit,
    previousRelease: release('previous'),
    url: `http://${host}:${job.port}`,
  };
}
