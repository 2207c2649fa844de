import {
  type PipelineName,
  type Pipelines,
  type RunHistoryEvent,
  RunNotFoundError,
  type RunStatus,
} from '../ports/pipelines.ts';
import {
  INSPECTOR_BASE,
  type InspectorAssets,
  type InspectorResponse,
  respond,
  shellFile,
} from './inspector-shell.ts';
import { type AslStates, cachedStateGraph, type StateGraph } from './state-graph.ts';
import { type StateProgress, stateProgress } from './state-progress.ts';

export type { InspectorAssets, InspectorResponse } from './inspector-shell.ts';

export interface InspectorRequest {
  method: string;
  /** The request path, e.g. `/inspector/api/runs`; anything before `basePath` is ignored. */
  path: string;
  query?: Record<string, string | undefined>;
}

export type RunInspector = (request: InspectorRequest) => Promise<InspectorResponse>;

export interface RunInspectorOptions {
  pipelines: Pipelines;
  definitions: Record<PipelineName, AslStates>;
  assets: InspectorAssets;
  /** Where the inspector is mounted (default `/inspector`). */
  basePath?: string;
}

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
 * One run with its history (long fields cut), the state machine's laid-out graph and each state's
 * progress. `id`: what the page calls it by (the run id locally, the run's name on the admin API).
 */
export async function inspectRun(
  pipelines: Pipelines,
  definitions: Record<PipelineName, AslStates>,
  runId: string,
  view: { id?: string; project?: string } = {},
): Promise<InspectedRun> {
  const [run, history] = await Promise.all([pipelines.describe(runId), pipelines.history(runId)]);
  const definition = definitions[run.pipeline];
  return {
    run: {
      ...run,
      id: view.id ?? run.runId,
      ...(view.project ? { project: view.project } : {}),
      input: cut(JSON.stringify(run.input)),
      output: cut(JSON.stringify(run.output)),
    },
    history: history.map(trimmed),
    graph: definition ? cachedStateGraph(definition) : NO_GRAPH,
    states: stateProgress(history, run.status),
  };
}

/**
 * The run inspector as a plain function over the pipelines port: `GET <base>` the page,
 * `GET <base>/api/runs?pipeline=...` the runs of a pipeline, `GET <base>/api/runs/<runId>` one
 * run's description, history, state graph and each state's progress. No authentication: the
 * local stack serves it on loopback. The deployed admin API serves the same page, with these two
 * data answers as key-checked routes that apply the key owner's rights
 * (lambdas/handlers/api/inspector.ts).
 */
export function createRunInspector(options: RunInspectorOptions): RunInspector {
  const base = (options.basePath ?? INSPECTOR_BASE).replace(/\/$/, '');
  const pipelineNames = Object.keys(options.definitions) as PipelineName[];
  return async (request) => {
    const at = request.path.indexOf(base);
    const path = at < 0 ? undefined : request.path.slice(at + base.length);
    if (path === undefined) return json(404, { message: 'Not Found' });
    if (request.method !== 'GET') return json(405, { message: 'Method Not Allowed' });
    if (path === '') return respond(308, 'text/plain; charset=utf-8', '', { location: `${base}/` });
    const file = shellFile(options.assets, base, path);
    if (file) return file;
    try {
      if (path === '/api/runs') {
        const pipeline = (request.query?.pipeline ?? pipelineNames[0]) as PipelineName;
        if (!pipelineNames.includes(pipeline)) return json(400, { message: 'Unknown pipeline' });
        const runs = await options.pipelines.list(pipeline, { limit: 100 });
        const list: InspectorRunList = {
          pipeline,
          pipelines: pipelineNames,
          runs: runs.map(({ runId, ...run }) => ({ id: runId, ...run })),
        };
        return json(200, list);
      }
      if (path.startsWith('/api/runs/')) {
        const runId = decodeURIComponent(path.slice('/api/runs/'.length));
        return json(200, await inspectRun(options.pipelines, options.definitions, runId));
      }
    } catch (error) {
      if (error instanceof RunNotFoundError || error instanceof URIError) {
        return json(404, { message: 'Run not found' });
      }
      // Never echo the raw error: it can name internals the caller has no use for.
      return json(500, { message: 'Internal Server Error' });
    }
    return json(404, { message: 'Not Found' });
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

function json(status: number, body: unknown): InspectorResponse {
  return respond(status, 'application/json; charset=utf-8', JSON.stringify(body));
}
