import {
  type PipelineName,
  type Pipelines,
  type RunHistoryEvent,
  RunNotFoundError,
} from '../ports/pipelines.ts';
import { type AslStates, cachedStateGraph } from './state-graph.ts';
import { stateProgress } from './state-progress.ts';

export interface InspectorRequest {
  method: string;
  /** The request path, e.g. `/inspector/api/runs`; anything before `basePath` is ignored. */
  path: string;
  query?: Record<string, string | undefined>;
}

export interface InspectorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type RunInspector = (request: InspectorRequest) => Promise<InspectorResponse>;

/** The page's three static files (see `buildInspectorAssets`, which bundles the script). */
export interface InspectorAssets {
  html: string;
  script: string;
  style: string;
}

export interface RunInspectorOptions {
  pipelines: Pipelines;
  definitions: Record<PipelineName, AslStates>;
  assets: InspectorAssets;
  /** Where the inspector is mounted (default `/inspector`). */
  basePath?: string;
}

// Inputs and outputs are ids and references; anything longer is cut before it leaves the server.
export const MAX_FIELD_CHARS = 4000;

// Only this origin's script, style and JSON; no inline script or style, no frames, no forms.
const SECURITY_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self'; " +
    "base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-store',
};

/**
 * The run inspector as a plain function over the pipelines port: `GET <base>/` the page,
 * `GET <base>/api/runs?pipeline=...` the runs of a pipeline, `GET <base>/api/runs/<runId>` one
 * run's description, history, state graph and each state's progress. No authentication: the
 * local stack serves it on loopback, a deployed stack mounts it behind its admin API's key.
 */
export function createRunInspector(options: RunInspectorOptions): RunInspector {
  const base = (options.basePath ?? '/inspector').replace(/\/$/, '');
  const pipelineNames = Object.keys(options.definitions) as PipelineName[];
  return async (request) => {
    const at = request.path.indexOf(base);
    const path = at < 0 ? undefined : request.path.slice(at + base.length);
    if (path === undefined) return json(404, { message: 'Not Found' });
    if (request.method !== 'GET') return json(405, { message: 'Method Not Allowed' });
    if (path === '') return respond(308, 'text/plain; charset=utf-8', '', { location: `${base}/` });
    if (path === '/') return respond(200, 'text/html; charset=utf-8', options.assets.html);
    if (path === '/inspector.js')
      return respond(200, 'text/javascript; charset=utf-8', options.assets.script);
    if (path === '/inspector.css') return respond(200, 'text/css; charset=utf-8', options.assets.style);
    try {
      if (path === '/api/runs') {
        const pipeline = (request.query?.pipeline ?? pipelineNames[0]) as PipelineName;
        if (!pipelineNames.includes(pipeline)) return json(400, { message: 'Unknown pipeline' });
        const runs = await options.pipelines.list(pipeline, { limit: 100 });
        return json(200, { pipeline, pipelines: pipelineNames, runs });
      }
      if (path.startsWith('/api/runs/')) {
        const runId = decodeURIComponent(path.slice('/api/runs/'.length));
        const [run, history] = await Promise.all([
          options.pipelines.describe(runId),
          options.pipelines.history(runId),
        ]);
        const definition = options.definitions[run.pipeline];
        return json(200, {
          run: { ...run, input: cut(JSON.stringify(run.input)), output: cut(JSON.stringify(run.output)) },
          history: history.map(trimmed),
          graph: definition ? cachedStateGraph(definition) : { width: 0, height: 0, nodes: [], edges: [] },
          states: stateProgress(history, run.status),
        });
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

function respond(
  status: number,
  contentType: string,
  body: string,
  extra: Record<string, string> = {},
): InspectorResponse {
  return { status, headers: { 'content-type': contentType, ...SECURITY_HEADERS, ...extra }, body };
}

function json(status: number, body: unknown): InspectorResponse {
  return respond(status, 'application/json; charset=utf-8', JSON.stringify(body));
}
