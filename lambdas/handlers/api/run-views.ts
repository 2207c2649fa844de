import type { RunRecord } from '../../domain/pipelines/run-records.ts';
import type { Project } from '../../domain/projects/project.ts';
import type { Pipelines, RunHistoryEvent } from '../../ports/pipelines.ts';
import type { ApiShape } from './schemas.ts';

export type RunView = ApiShape<'Run'>['run'];

// The states a run waits on a person in (state-machines/*.asl.json).
const WAITS: Record<string, RunView['waitingFor']> = {
  'Ask the owner what to do': 'decision',
  'Ask the owner for a secret': 'secret',
};

// Succeed states that end a run without it doing its job (state-machines/engineering.asl.json).
const UNDONE: Record<string, string> = { 'Given up': 'given_up' };

/** A run as the API shows it: our record of it, with its state from the pipeline. */
export async function runView(
  pipelines: Pipelines,
  record: RunRecord,
  options: { project?: Project; history?: RunHistoryEvent[] } = {},
): Promise<RunView> {
  const run = await pipelines.describe(record.runId);
  const step = options.history
    ?.filter((e) => e.type.endsWith('StateEntered') && e.stateName)
    .at(-1)?.stateName;
  const waitingFor = run.status === 'RUNNING' && step ? WAITS[step] : undefined;
  const outcome = record.outcome ?? (run.status === 'SUCCEEDED' && step ? UNDONE[step] : undefined);
  return {
    runName: record.runName,
    runId: record.runId,
    pipeline: record.pipeline,
    projectId: record.projectId,
    ...(options.project ? { projectName: options.project.name } : {}),
    ownerId: record.ownerId,
    number: record.number,
    status: run.status,
    startedAt: run.startedAt,
    ...(run.stoppedAt ? { stoppedAt: run.stoppedAt } : {}),
    ...(step ? { step } : {}),
    ...(waitingFor ? { waitingFor } : {}),
    ...(record.attempts ? { attempts: record.attempts } : {}),
    ...((record.builtCommit ?? record.commit) ? { commit: record.builtCommit ?? record.commit } : {}),
    ...(record.htmlUrl ? { htmlUrl: record.htmlUrl } : {}),
    ...(record.url ? { url: record.url } : {}),
    ...(outcome ? { outcome } : {}),
    ...(run.error ? { error: run.error } : {}),
    ...(run.cause ? { cause: run.cause.slice(0, 500) } : {}),
  };
}
