import { describe, expect, it } from 'vitest';
import { createRunInspector, MAX_FIELD_CHARS } from '../../../lambdas/inspector/run-inspector.ts';
import type { AslStates } from '../../../lambdas/inspector/state-graph.ts';
import type { Pipelines } from '../../../lambdas/ports/pipelines.ts';
import { MemoryPipelines } from '../../support/memory-pipelines.ts';

const DEFINITION: AslStates = { StartAt: 'Work', States: { Work: { Type: 'Task', End: true } } };
const assets = { html: '<!doctype html><title>x</title>', script: 'console.log(1)', style: 'body{}' };

function inspector(pipelines: Pipelines = new MemoryPipelines()) {
  return createRunInspector({
    pipelines,
    definitions: { engineering: DEFINITION, devops: DEFINITION },
    assets,
  });
}

describe('createRunInspector', () => {
  it.each([
    { path: '/inspector/', type: 'text/html', body: assets.html },
    { path: '/inspector/inspector.js', type: 'text/javascript', body: assets.script },
    { path: '/inspector/inspector.css', type: 'text/css', body: assets.style },
  ])('serves $path with a CSP that allows only its own script and style', async ({ path, type, body }) => {
    // Act
    const response = await inspector()({ method: 'GET', path });

    // Assess
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toContain(type);
    expect(response.body).toBe(body);
    const csp = response.headers['content-security-policy'] ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toContain('unsafe');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
  });

  it('redirects the bare mount path to its trailing slash, so relative URLs resolve', async () => {
    // Act
    const response = await inspector()({ method: 'GET', path: '/inspector' });

    // Assess
    expect(response.status).toBe(308);
    expect(response.headers.location).toBe('/inspector/');
  });

  it('lists the runs of a pipeline and refuses one it does not know', async () => {
    // Prepare
    const pipelines = new MemoryPipelines();
    await pipelines.start({ pipeline: 'engineering', name: 'eng-a-1', input: {} });
    const handle = inspector(pipelines);

    // Act
    const listed = await handle({
      method: 'GET',
      path: '/inspector/api/runs',
      query: { pipeline: 'engineering' },
    });
    const unknown = await handle({
      method: 'GET',
      path: '/inspector/api/runs',
      query: { pipeline: 'payroll' },
    });

    // Assess
    expect(JSON.parse(listed.body)).toMatchObject({
      pipeline: 'engineering',
      pipelines: ['engineering', 'devops'],
      runs: [{ name: 'eng-a-1', status: 'RUNNING' }],
    });
    expect(unknown.status).toBe(400);
  });

  it('answers a run with its history (long fields cut), graph and state progress', async () => {
    // Prepare
    const pipelines = new MemoryPipelines();
    const { runId } = await pipelines.start({
      pipeline: 'engineering',
      name: 'eng-a-1',
      input: { ref: 'doc:1' },
    });
    pipelines.waitOn(runId, 'Work');
    const run = pipelines.runs.get(runId);
    run?.events.push({
      id: 3,
      type: 'TaskScheduled',
      timestamp: new Date(0).toISOString(),
      input: 'x'.repeat(9000),
    });

    // Act
    const response = await inspector(pipelines)({
      method: 'GET',
      path: `/inspector/api/runs/${encodeURIComponent(runId)}`,
    });

    // Assess
    const body = JSON.parse(response.body);
    expect(body.run).toMatchObject({ name: 'eng-a-1', status: 'RUNNING', input: '{"ref":"doc:1"}' });
    expect(body.history.map((e: { type: string }) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
    ]);
    expect(body.history[2].input).toHaveLength(MAX_FIELD_CHARS + 1);
    expect(body.graph.nodes.map((n: { id: string }) => n.id)).toEqual(['::start', '::end', 'Work']);
    expect(body.states).toEqual({ Work: { status: 'running', entered: 1 } });
  });

  it.each([
    { method: 'GET', path: '/inspector/api/runs/arn%3Anope', status: 404 },
    { method: 'GET', path: '/inspector/api/runs/%E0%A4%A', status: 404 },
    { method: 'GET', path: '/inspector/elsewhere', status: 404 },
    { method: 'POST', path: '/inspector/api/runs', status: 405 },
  ])('answers $method $path with $status', async ({ method, path, status }) => {
    // Act
    const response = await inspector()({ method, path });

    // Assess
    expect(response.status).toBe(status);
  });

  it('does not echo an internal error to the caller', async () => {
    // Prepare
    const pipelines = new MemoryPipelines();
    pipelines.list = async () => {
      throw new Error('secret internals at 10.0.0.1');
    };

    // Act
    const response = await inspector(pipelines)({ method: 'GET', path: '/inspector/api/runs' });

    // Assess
    expect(response.status).toBe(500);
    expect(response.body).not.toContain('10.0.0.1');
  });
});
