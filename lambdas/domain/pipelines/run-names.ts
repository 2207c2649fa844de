import { createHash } from 'node:crypto';

/**
 * A run's execution name: readable in the console and the idempotency key of its start, e.g.
 * `eng-weather-bot-55da0d-1` (project id, then the project's run number), at most 80 characters.
 */
export function engineeringRunName(projectId: string, runNumber: number): string {
  return `eng-${projectId.slice(0, 64)}-${runNumber}`;
}

/** ECS `startedBy` (at most 36 characters): ties a run's worker tasks together so they can be stopped. */
export function taskGroupOf(runName: string): string {
  return `run-${createHash('sha256').update(runName).digest('hex').slice(0, 24)}`;
}

/** The branch a run works on: the default branch for the first build, a branch per change after. */
export function branchFor(runNumber: number): string {
  return runNumber === 1 ? 'main' : `change-${runNumber}`;
}
