import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { createApiApp } from '../../../../lambdas/app/api/api-app.ts';
import { defineRoute } from '../../../../lambdas/app/api/route.ts';
import { runEvents } from '../../../../lambdas/handlers/api/runs.ts';
import type { Pipelines, RunHistoryEvent, RunStatus } from '../../../../lambdas/ports/pipelines.ts';

/** A run whose history and status a test moves by hand. */
function fakeRun() {
  const state = { status: 'RUNNING' as RunStatus, history: [] as RunHistoryEvent[] };
  const add = (type: string, stateName?: string) =>
    state.history.push({
      id: state.history.length + 1,
      type,
      timestamp: new Date().toISOString(),
      ...(stateName ? { stateName } : {}),
    });
  const pipelines = {
    describe: async () => ({
      runId: 'r',
      pipeline: 'devops',
      name: 'r',
      status: state.status,
      startedAt: '',
      input: {},
    }),
    history: async () => [...state.history],
  } as unknown as Pipelines;
  return { state, add, pipelines };
}

function appFor(pipelines: Pipelines) {
  return createApiApp<object, string>({
    routes: [
      defineRoute<object, string>({
        method: 'GET',
        path: '/events',
        operationId: 'events',
        summary: 'x',
        tag: 't',
        responses: { 200: { description: 'sse', contentType: 'text/event-stream' } },
        handle: async () => ({
          status: 200,
          events: (options) => runEvents(pipelines, 'r', { ...options, pollMs: 5 }),
        }),
      }),
    ],
    services: () => ({}),
    basePath: '',
    authenticate: async () => ({ ok: true, auth: 'me', bucket: 'k' }),
    rateLimit: async () => ({ allowed: true }),
    mapError: () => undefined,
    openApi: () => ({}),
    logger: { error: () => undefined },
    sseRetryMs: 2000,
  });
}

const request = (lastEventId?: string) =>
  ({
    rawPath: '/events',
    rawQueryString: '',
    headers: { authorization: 'Bearer k', ...(lastEventId ? { 'last-event-id': lastEventId } : {}) },
    requestContext: { requestId: 'req', http: { method: 'GET' } },
  }) as unknown as APIGatewayProxyEventV2;

describe('a run’s event stream', () => {
  it('buffered (Lambda): answers the events so far with a retry hint; a reconnect gets only newer ones, then end', async () => {
    // Prepare
    const run = fakeRun();
    const api = appFor(run.pipelines);
    run.add('ExecutionStarted');
    run.add('TaskStateEntered', 'Deploy the release');

    // Act
    const first = await api.handle(request());
    run.add('TaskStateEntered', 'Check the health');
    run.add('ExecutionSucceeded');
    run.state.status = 'SUCCEEDED';
    const second = await api.handle(request('2'));

    // Assess
    expect(first.headers['content-type']).toBe('text/event-stream');
    expect(first.body).toMatch(/^retry: 2000\n\n/);
    expect(first.body?.match(/^id: \d+$/gm)).toEqual(['id: 1', 'id: 2']);
    expect(first.body).not.toContain('event: end');
    expect(second.body?.match(/^id: \d+$/gm)).toEqual(['id: 3', 'id: 4']);
    expect(second.body).toContain('event: end\ndata: {"status":"SUCCEEDED"}');
  });

  it('streamed (local stack): follows the run until it ends', async () => {
    const run = fakeRun();
    const api = appFor(run.pipelines);
    run.add('ExecutionStarted');

    const response = await api.handle(request(), { streaming: true });
    const chunks: string[] = [];
    const reading = (async () => {
      for await (const chunk of response.bodyStream ?? []) chunks.push(chunk);
    })();
    await new Promise((r) => setTimeout(r, 30));
    run.add('TaskStateEntered', 'Deploy the release');
    run.state.status = 'FAILED';
    await reading;

    const text = chunks.join('');
    expect(text.match(/^id: \d+$/gm)).toEqual(['id: 1', 'id: 2']);
    expect(text.trimEnd().endsWith('event: end\ndata: {"status":"FAILED"}')).toBe(true);
  });
});
