import { createGitCli } from '../../shared/git.ts';
import { parseJob, TestJob } from '../../shared/job.ts';
import { EXIT_CODES, jsonLogger, reportStartupFailure, wireCallbacks } from '../../shared/main-support.ts';
import { systemClock } from '../../shared/types.ts';
import { createWorker } from './worker.ts';

/**
 * Entry of the tester container (and of a local child process). Env: JOB (JSON TestJob),
 * TASK_TOKEN, TOKEN_BROKER_URL (or TASK_CALLBACKS=ipc), HEARTBEAT_SECONDS (default 60),
 * TEST_COMMAND_TIMEOUT_SECONDS (default 600).
 */
const logger = jsonLogger('tester');
const env = process.env;
let exit: keyof typeof EXIT_CODES = 'unreportable';
let wiring: ReturnType<typeof wireCallbacks> | undefined;
try {
  wiring = wireCallbacks(env);
  const job = parseJob(TestJob, env.JOB);
  const worker = createWorker({
    repositoryAccess: wiring.repositoryAccess(job, 'read'),
    callbacks: wiring.callbacks,
    git: createGitCli(),
    logger,
    clock: systemClock,
    heartbeatIntervalMs: Number(env.HEARTBEAT_SECONDS ?? 60) * 1000,
    commandTimeoutMs: Number(env.TEST_COMMAND_TIMEOUT_SECONDS ?? 600) * 1000,
    signal: wiring.stopped,
  });
  exit = await worker.run(job);
} catch (error) {
  if (wiring) exit = await reportStartupFailure(wiring.callbacks, error);
  logger.error('Tester could not run', { error: error instanceof Error ? error.message : String(error) });
} finally {
  wiring?.close();
}
process.exit(EXIT_CODES[exit]);
