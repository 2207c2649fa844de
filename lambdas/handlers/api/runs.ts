import { setTimeout as sleep } from 'node:timers/promises';
import * as z from 'zod';
import { ProblemError, problem } from '../../app/api/problem.ts';
import type { SseEvent } from '../../app/api/route.ts';
import type { RunRecord } from '../../domain/pipelines/run-records.ts';
import type { Project } from '../../domain/projects/project.ts';
import type { Pipelines } from '../../ports/pipelines.ts';
import type { ApiCaller, ApiServices } from './api-services.ts';
import { need, route, visibleProject } from './route-support.ts';
import { runView } from './run-views.ts';

export const runParam = z.object({
  run: z
    .string()
    .regex(/^(eng|dep)-[a-z0-9-]+-\d+$/, 'a run name such as eng-quote-bot-1a2b3c-1')
    .describe('The run’s name'),
});

/** The run's record, if the caller may see its project: `eng-<project id>-<n>` / `dep-<project id>-<n>`. */
export async function visibleRun(
  services: ApiServices,
  caller: ApiCaller,
  runName: string,
): Promise<{ record: RunRecord; project: Project }> {
  const [, kind, projectId] = /^(eng|dep)-(.+)-\d+$/.exec(runName) ?? [];
  const project = await visibleProject(services, caller, projectId ?? '');
  const record = await (kind === 'eng' ? services.builds : services.deploys).get(project.id, runName);
  if (!record) throw new ProblemError(problem(404, `Run ${runName} not found.`));
  return { record, project };
}

/**
 * The records of the runs the caller may see (their own projects' runs; an admin's key: all),
 * newest first, optionally of one project or one pipeline.
 */
export async function visibleRunRecords(
  services: ApiServices,
  caller: ApiCaller,
  filter: { project?: string; pipeline?: RunRecord['pipeline']; limit: number },
): Promise<Array<{ record: RunRecord; project: Project }>> {
  const projects = filter.project
    ? [await visibleProject(services, caller, filter.project)]
    : await services.projects.list(caller.principal, 'all');
  const records = await Promise.all(
    projects.map(async (project) => {
      const [builds, deploys] = await Promise.all([
        filter.pipeline === 'devops' ? [] : services.builds.list(project.id),
        filter.pipeline === 'engineering' ? [] : services.deploys.list(project.id),
      ]);
      return [...builds, ...deploys].map((record) => ({ record, project }));
    }),
  );
  return records
    .flat()
    .sort((a, b) => b.record.startedAt.localeCompare(a.record.startedAt))
    .slice(0, filter.limit);
}

/**
 * The run's history events after `lastEventId`, then `end` once it has ended. Followed, it reads
 * again every `pollMs` until then. The run is described before its history is read, so a run seen
 * ended has all its events in the history read after.
 */
export async function* runEvents(
  pipelines: Pipelines,
  runId: string,
  options: { lastEventId?: string; follow: boolean; signal: AbortSignal; pollMs: number },
): AsyncIterable<SseEvent> {
  let after = Number(options.lastEventId ?? 0) || 0;
  for (;;) {
    const run = await pipelines.describe(runId);
    const history = await pipelines.history(runId);
    for (const event of history.filter((e) => e.id > after)) {
      yield { event: 'history', id: String(event.id), data: event };
      after = event.id;
    }
    if (run.status !== 'RUNNING') {
      yield {
        event: 'end',
        data: {
          status: run.status,
          ...(run.stoppedAt ? { stoppedAt: run.stoppedAt } : {}),
          ...(run.error ? { error: run.error } : {}),
          ...(run.cause ? { cause: run.cause.slice(0, 500) } : {}),
        },
      };
      return;
    }
    if (!options.follow || options.signal.aborted) return;
    await sleep(options.pollMs, undefined, { signal: options.signal }).catch(() => undefined);
    if (options.signal.aborted) return;
  }
}

export const RUN_ROUTES = [
  route({
    method: 'GET',
    path: '/runs',
    operationId: 'listRuns',
    summary: 'Runs of the caller’s projects (admins: all), newest first',
    tag: 'runs',
    query: z.object({
      project: z.string().min(1).max(80).optional(),
      pipeline: z.enum(['engineering', 'devops']).optional(),
      limit: z.coerce.number().int().min(1).max(200).default(50),
    }),
    responses: { 200: { description: 'The runs', schema: 'RunList' } },
    async handle({ auth, query }, services) {
      const pipelines = need(services.pipelines, 'Pipelines');
      const records = await visibleRunRecords(services, auth, query);
      const runs = await Promise.all(
        records.map(({ record, project }) => runView(pipelines, record, { project })),
      );
      return { status: 200, body: { runs } };
    },
  }),
  route({
    method: 'GET',
    path: '/runs/{run}',
    operationId: 'getRun',
    summary: 'One run and its history (Step Functions event names)',
    tag: 'runs',
    params: runParam,
    responses: { 200: { description: 'The run and every event of its history', schema: 'RunDetail' } },
    async handle({ auth, params }, services) {
      const pipelines = need(services.pipelines, 'Pipelines');
      const { record, project } = await visibleRun(services, auth, params.run);
      const events = await pipelines.history(record.runId);
      return {
        status: 200,
        body: { run: await runView(pipelines, record, { project, history: events }), events },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/runs/{run}/events',
    operationId: 'streamRunEvents',
    summary:
      'The run’s progress as server-sent events: `history` (id = event id), then `end`. Locally the stream ' +
      'stays open until the run ends; on Lambda it answers the events so far with `retry:`, and the client ' +
      'reconnects with Last-Event-ID until `end`.',
    tag: 'runs',
    params: runParam,
    responses: { 200: { description: 'text/event-stream', contentType: 'text/event-stream' } },
    async handle({ auth, params }, services) {
      const pipelines = need(services.pipelines, 'Pipelines');
      const { record } = await visibleRun(services, auth, params.run);
      return {
        status: 200,
        events: (options) => runEvents(pipelines, record.runId, { ...options, pollMs: services.pollMs }),
      };
    },
  }),
  route({
    method: 'POST',
    path: '/runs/{run}/approve',
    operationId: 'approveRun',
    summary: 'Answer a run waiting for its owner after three red attempts: try again, or give up',
    tag: 'runs',
    params: runParam,
    body: z.object({ decision: z.enum(['try_again', 'give_up']).default('try_again') }),
    responses: { 200: { description: 'The decision was taken', schema: 'Decision' } },
    async handle({ auth, params, body }, services) {
      const engineering = need(services.engineering, 'The engineering pipeline');
      const { record } = await visibleRun(services, auth, params.run);
      const outcome = record.escalationId
        ? await engineering.decide(auth.principal, record.escalationId, body.decision)
        : 'stale';
      if (outcome === 'not_yours')
        throw new ProblemError(problem(403, 'Only the project’s owner answers its runs.'));
      if (outcome !== 'accepted')
        throw new ProblemError(problem(409, `Run ${params.run} is not waiting for a decision.`));
      return { status: 200, body: { runName: record.runName, decision: body.decision, outcome } };
    },
  }),
  route({
    method: 'POST',
    path: '/runs/{run}/stop',
    operationId: 'stopRun',
    summary: 'Stop a running run',
    tag: 'runs',
    params: runParam,
    responses: { 202: { description: 'The run, stopping', schema: 'Run' } },
    async handle({ auth, params }, services) {
      const pipelines = need(services.pipelines, 'Pipelines');
      const { record, project } = await visibleRun(services, auth, params.run);
      const before = await pipelines.describe(record.runId);
      if (before.status !== 'RUNNING')
        throw new ProblemError(problem(409, `Run ${params.run} has ended (${before.status}).`));
      await pipelines.stop(record.runId, `Stopped through the admin API by user ${auth.principal.userId}`);
      if (record.pipeline === 'engineering') await services.projects.markStatus(project.id, 'failed');
      return { status: 202, body: { run: await runView(pipelines, record, { project }) } };
    },
  }),
];
