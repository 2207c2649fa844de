import * as z from 'zod';
import { INSPECTOR_BASE } from '../../inspector/inspector-shell.ts';
import { type InspectedRun, type InspectorRunList, inspectRun } from '../../inspector/run-view.ts';
import type { PipelineName } from '../../ports/pipelines.ts';
import { need, route } from './route-support.ts';
import { runParam, visibleRun, visibleRunRecords } from './runs.ts';

const PIPELINES: PipelineName[] = ['engineering', 'devops'];
/** The newest runs the page lists. */
const LIST_LIMIT = 50;

/**
 * The run inspector page's data on the admin API (the page itself is served without a key by
 * the handler: lambdas/inspector/inspector-shell.ts). The same answers as the local stack's
 * inspector, under the API key and with its owner's rights: a user's key sees the runs of their
 * own projects, an admin's all; a run is asked for by its name, so the tenancy check is the one
 * `GET /runs/{run}` makes.
 */
export const INSPECTOR_ROUTES = [
  route({
    method: 'GET',
    path: `${INSPECTOR_BASE}/api/runs`,
    operationId: 'inspectorListRuns',
    summary: 'The run inspector page’s list: runs of one pipeline the caller may see, newest first',
    tag: 'inspector',
    query: z.object({
      pipeline: z.enum(['engineering', 'devops']).default('engineering'),
    }),
    responses: { 200: { description: 'The runs, as the inspector page lists them' } },
    async handle({ auth, query }, services) {
      const pipelines = need(services.pipelines, 'Pipelines');
      const records = await visibleRunRecords(services, auth, {
        pipeline: query.pipeline,
        limit: LIST_LIMIT,
      });
      // The page asks again every 2 s: one ListExecutions gives the recent runs' state, and only
      // older runs of the caller's are described one by one (not one DescribeExecution per row).
      const recent = new Map(
        (await pipelines.list(query.pipeline, { limit: 100 })).map((run) => [run.runId, run]),
      );
      const runs = await Promise.all(
        records.map(async ({ record, project }) => {
          const run = recent.get(record.runId) ?? (await pipelines.describe(record.runId));
          return {
            id: record.runName,
            name: record.runName,
            pipeline: record.pipeline,
            status: run.status,
            startedAt: run.startedAt,
            ...(run.stoppedAt ? { stoppedAt: run.stoppedAt } : {}),
            project: project.name,
          };
        }),
      );
      const body: InspectorRunList = { pipeline: query.pipeline, pipelines: PIPELINES, runs };
      return { status: 200, body };
    },
  }),
  route({
    method: 'GET',
    path: `${INSPECTOR_BASE}/api/runs/{run}`,
    operationId: 'inspectorGetRun',
    summary:
      'The run inspector page’s run: history, the state machine’s laid-out graph, each state’s progress',
    tag: 'inspector',
    params: runParam,
    responses: { 200: { description: 'The run as the Step Functions console shows it' } },
    async handle({ auth, params }, services) {
      const pipelines = need(services.pipelines, 'Pipelines');
      const graphs = need(services.pipelineGraphs, 'The run inspector');
      const { record, project } = await visibleRun(services, auth, params.run);
      const graph = await graphs();
      const body: InspectedRun = await inspectRun(pipelines, (p) => graph[p], record.runId, {
        id: record.runName,
        project: project.name,
      });
      return { status: 200, body };
    },
  }),
];
