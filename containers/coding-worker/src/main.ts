import { createGitCli } from '../../shared/git.ts';
import { CodingJob, parseJob } from '../../shared/job.ts';
import { EXIT_CODES, jsonLogger, reportStartupFailure, wireCallbacks } from '../../shared/main-support.ts';
import { systemClock } from '../../shared/types.ts';
import { engineFromEnv } from './engine-from-env.ts';
import { createWorker } from './worker.ts';

/**
 * Entry of the coding worker container (and of a local child process). Env:
 * JOB (JSON CodingJob), TASK_TOKEN, TOKEN_BROKER_URL (or TASK_CALLBACKS=ipc), HEARTBEAT_SECONDS
 * (default 60), CODING_MAX_TURNS (default 50), plus the engine's (see engine-from-env.ts).
 */
const logger = jsonLogger('coding');
const env = process.env;
let exit: keyof typeof EXIT_CODES = 'unreportable';
let wiring: ReturnType<typeof wireCallbacks> | undefined;
try {
  wiring = wireCallbacks(env);
  const job = parseJob(CodingJob, env.JOB);
  const worker = createWorker({
    engine: engineFromEnv(env, job),
    repositoryAccess: wiring.repositoryAccess(job, 'write'),
    callbacks: wiring.callbacks,
    git: createGitCli(),
    logger,
    clock: systemClock,
    heartbeatIntervalMs: Number(env.HEARTBEAT_SECONDS ?? 60) * 1000,
    maxTurns: Number(env.CODING_MAX_TURNS ?? 50),
    signal: wiring.stopped,
  });
  exit = await worker.run(job);
} catch (error) {
  if (wiring) exit = await reportStartupFailure(wiring.callbacks, error);
  logger.error('Coding worker could not run', {
    error: error instanceof Error ? error.message : String(error),
  });
} finally {
  wiring?.close();
}
process.exit(EXIT_CODES[exit]);
