import { createGitCli } from '../../shared/git.ts';
import { DeployJob, parseJob } from '../../shared/job.ts';
import {
  EXIT_CODES,
  jsonLogger,
  reportStartupFailure,
  terminationSignal,
  wireCallbacks,
} from '../../shared/main-support.ts';
import { systemClock } from '../../shared/types.ts';
import { createWorker } from './worker.ts';

/**
 * Entry of the deployer container (and of a local child process). Env: JOB (JSON DeployJob),
 * TASK_TOKEN and JOB_CONTEXT_FUNCTION (or TASK_CALLBACKS=ipc), HEARTBEAT_SECONDS (default 60),
 * DEPLOY_RUNNER (`process`, the default, or `docker`: the image sets it), ANSIBLE_PLAYBOOK_BIN
 * (default ansible-playbook on PATH), DEPLOY_TIMEOUT_SECONDS (default 900), DEPLOY_PLAYBOOK_DIR.
 */
const logger = jsonLogger('deployer');
const env = process.env;
let exit: keyof typeof EXIT_CODES = 'unreportable';
let wiring: ReturnType<typeof wireCallbacks> | undefined;
try {
  wiring = wireCallbacks(env);
  const job = parseJob(DeployJob, env.JOB);
  const runner = env.DEPLOY_RUNNER ?? 'process';
  if (runner !== 'process' && runner !== 'docker') throw new Error(`DEPLOY_RUNNER ${runner} is unknown`);
  const worker = createWorker({
    context: wiring.deployContext(job),
    callbacks: wiring.callbacks,
    git: createGitCli(),
    logger,
    clock: systemClock,
    heartbeatIntervalMs: Number(env.HEARTBEAT_SECONDS ?? 60) * 1000,
    playbookTimeoutMs: Number(env.DEPLOY_TIMEOUT_SECONDS ?? 900) * 1000,
    signal: wiring.stopped,
    ansiblePlaybook: env.ANSIBLE_PLAYBOOK_BIN ?? 'ansible-playbook',
    runner,
    ...(env.DEPLOY_PLAYBOOK_DIR ? { playbookDir: env.DEPLOY_PLAYBOOK_DIR } : {}),
  });
  exit = await worker.run(job);
} catch (error) {
  if (wiring) exit = await reportStartupFailure(wiring.callbacks, error);
  logger.error('Deployer could not run', { error: error instanceof Error ? error.message : String(error) });
} finally {
  wiring?.close();
}
process.exit(EXIT_CODES[exit]);
