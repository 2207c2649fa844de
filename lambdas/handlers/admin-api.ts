import middy, { type MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { buildAdminApi } from '../app/admin-api-wiring.ts';
import { readBundledInspectorAssets, readBundledPipelineGraphs } from '../inspector/bundled-assets.ts';
import { type InspectorAssets, inspectorShell } from '../inspector/inspector-shell.ts';
import type { PipelineGraphs } from '../inspector/pipeline-graphs.ts';
import { runtimeFromEnv } from '../runtime/from-env.ts';
import { lambdaObservability } from '../runtime/lambda-observability.ts';
import { once } from '../runtime/lazy.ts';
import type { Runtime } from '../runtime/runtime.ts';

export interface AdminApiHandlerOptions {
  /** The run inspector page's files; default: the ones built into the bundle's `inspector/` dir. */
  inspectorAssets?: () => Promise<InspectorAssets>;
  /** The pipelines' laid-out graphs; default: `graphs.json` in the same dir (no dagre in the bundle). */
  pipelineGraphs?: () => Promise<PipelineGraphs>;
}

/**
 * The admin API behind API Gateway (HTTP API, `ANY /{proxy+}`): API key, per-key rate limit,
 * validation, the domain services, problems. A buffered Lambda, so a run's event stream answers
 * the events so far with a retry hint and the client polls with Last-Event-ID (the local stack
 * streams it live). The local stack serves this app too, under /api. It also serves the run
 * inspector page's shell (`GET /inspector`, its script and style: no data, no key, and no
 * runtime built for them); the page's data are key-checked routes of the app.
 */
export function createAdminApiHandler(
  getRuntime: () => Runtime,
  middlewares: MiddlewareObj[] = [],
  options: AdminApiHandlerOptions = {},
) {
  const app = once(() =>
    buildAdminApi(getRuntime(), {
      pipelineGraphs: options.pipelineGraphs ?? (() => readBundledPipelineGraphs(import.meta.url)),
    }),
  );
  const shell = inspectorShell(
    options.inspectorAssets ?? (() => readBundledInspectorAssets(import.meta.url)),
  );
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>().handler(
    async (event) => {
      const page = await shell(event.requestContext?.http?.method ?? 'GET', event.rawPath ?? '/');
      if (page) return { statusCode: page.status, headers: page.headers, body: page.body };
      try {
        const response = await app().handle(event, { streaming: false });
        return { statusCode: response.statusCode, headers: response.headers, body: response.body ?? '' };
      } finally {
        getRuntime().telemetry.flush();
      }
    },
  );
  for (const middleware of middlewares) handler.use(middleware);
  return handler;
}

const observability = lambdaObservability('admin-api');
export const handler = createAdminApiHandler(
  once(() => runtimeFromEnv(observability)),
  observability.middlewares,
);
