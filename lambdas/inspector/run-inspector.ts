import { type PipelineName, type Pipelines, RunNotFoundError } from '../ports/pipelines.ts';
import {
  INSPECTOR_BASE,
  type InspectorAssets,
  type InspectorResponse,
  respond,
  shellFile,
} from './inspector-shell.ts';
import { type InspectorRunList, inspectRun } from './run-view.ts';
import { type AslStates, cachedStateGraph } from './state-graph.ts';

export type { InspectorAssets, InspectorResponse } from './inspector-shell.ts';
export { MAX_FIELD_CHARS } from './run-view.ts';

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
  const graphOf = (pipeline: PipelineName) => {
    const definition = options.definitions[pipeline];
    return definition ? cachedStateGraph(definition) : undefined;
  };
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
        return json(200, await inspectRun(options.pipelines, graphOf, runId));
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

function json(status: number, body: unknown): InspectorResponse {
  return respond(status, 'application/json; charset=utf-8', JSON.stringify(body));
}
