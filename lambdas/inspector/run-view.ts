import type { PipelineName, Pipelines, RunHistoryEvent, RunStatus } from '../ports/pipelines.ts';
import type { StateGraph } from './state-graph.ts';
import { type StateProgress, stateProgress } from './state-progress.ts';

/**
 * A run in the page's list. `id` is what the page asks `api/runs/<id>` for: the run id on the
 * local stack, the run's name (`eng-<project>-<n>`) on the admin API, which checks its tenancy.
 */
export interface InspectorRunItem {
  id: string;
  name: string;
  pipeline: PipelineName;
  status: RunStatus;
  startedAt: string;
  stoppedAt?: string;
  project?: string;
}

/** `GET <base>/api/runs`: a pipeline's runs, and which pipelines there are. */
export interface InspectorRunList {
  pipeline: PipelineName;
  pipelines: PipelineName[];
  runs: InspectorRunItem[];
}

/** `GET <base>/api/runs/<id>`: one run as the console shows it. */
export interface InspectedRun {
  run: InspectorRunItem & {
    runId: string;
    input?: string;
    output?: string;
    error?: string;
    cause?: string;
  };
  history: RunHistoryEvent[];
  graph: StateGraph;
  states: Record<string, StateProgress>;
}

// Inputs and outputs are ids and references; anything longer is cut before it leaves the server.
export const MAX_FIELD_CHARS = 4000;

const NO_GRAPH: StateGraph = { width: 0, height: 0, nodes: [], edges: [] };

/**
 * One run with its history (long fields cut), its pipeline's laid-out graph (`graphOf`) and each
 * state's progress. `id`: what the page calls it by (the run id locally, the run's name on the
 * admin API).
 */
export async function inspectRun(
  pipelines: Pipelines,
  graphOf: (pipeline: PipelineName) => StateGraph | undefined,
  runId: string,
  view: { id?: string; project?: string } = {},
): Promise<InspectedRun> {
  const [run, history] = await Promise.all([pipelines.describe(runId), pipelines.history(runId)]);
  return {
    run: {
      ...run,
      id: view.id ?? run.runId,
      ...(view.project ? { project: view.project } : {}),
      input: cut(JSON.stringify(run.input)),
      output: cut(JSON.stringify(run.output)),
    },
    history: history.map(trimmed),
    graph: graphOf(run.pipeline) ?? NO_GRAPH,
    states: stateProgress(history, run.status),
  };
}

function trimmed(event: RunHistoryEvent): RunHistoryEvent {
  const result = { ...event };
  for (const key of ['input', 'output', 'cause'] as const) {
    const value = result[key];
    if (value !== undefined) result[key] = cut(value);
  }
  return result;
}

function cut(value: string | undefined): string | undefined {
  if (value === undefined || value.length <= MAX_FIELD_CHARS) return value;
  return `${value.slice(0, MAX_FIELD_CHARS)}…`;
}
