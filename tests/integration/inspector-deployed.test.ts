import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { apiKeysOf } from '../../lambdas/app/admin-api-wiring.ts';
import { loadConfig } from '../../lambdas/config/config.ts';
import { UserDirectory } from '../../lambdas/domain/access/user-directory.ts';
import { RunRecords } from '../../lambdas/domain/pipelines/run-records.ts';
import { ProjectRepository } from '../../lambdas/domain/projects/project-repository.ts';
import { createAdminApiHandler } from '../../lambdas/handlers/admin-api.ts';
import { handler as authorizer } from '../../lambdas/handlers/admin-api-authorizer.ts';
import { buildInspectorAssets } from '../../lambdas/inspector/inspector-assets.ts';
import { pipelineGraphs } from '../../lambdas/inspector/pipeline-graphs.ts';
import type { RunHistoryEvent, RunStatus } from '../../lambdas/ports/pipelines.ts';
import { assembleRuntime, type Runtime } from '../../lambdas/runtime/runtime.ts';
import { createLogger } from '../../lambdas/shared/logger.ts';
import { type LocalHttpApi, startHttpApi } from '../../scripts/local-stack/http-api.ts';
import { adminApiGateway } from '../support/api-gateway-emulator.ts';
import { MemoryPipelines } from '../support/memory-pipelines.ts';
import { MemorySecrets } from '../support/memory-secrets.ts';
import { MemoryStore } from '../support/memory-store.ts';

/**
 * The run inspector as the deployed stack serves it: the admin API Lambda's own handler
 * (`createAdminApiHandler`, the handler module's factory) behind an emulation of its HTTP API
 * (public page-shell routes, the Lambda authorizer on everything else), on the local HTTP server
 * that builds API Gateway v2 events, driven in real headless Chromium. The runs are the real
 * engineering state machine's, so the graph is the one the deployed page draws.
 */
const CHROMIUM = '/usr/bin/chromium-headless-shell';
const CHROMIUM_FLAGS = ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking'];
const ADMIN = 1001;
const ALICE = 2002;
const T0 = Date.parse('2026-12-01T10:00:00.000Z');

let browser: Browser;
let api: LocalHttpApi;
let runtime: Runtime;
let adminKey: string;
let aliceKey: string;
let page: Page | undefined;
let adminRun: string;
let aliceRun: string;
let pipelines: MemoryPipelines;

/** A run's history (from event `first` on) as Step Functions writes it, one second apart. */
function history(steps: Array<[string, string?, Partial<RunHistoryEvent>?]>, first = 1): RunHistoryEvent[] {
  return steps.map(([type, stateName, extra], i) => ({
    id: first + i,
    ...(first + i > 1 ? { previousEventId: first + i - 1 } : {}),
    type,
    timestamp: new Date(T0 + (first + i - 1) * 1000).toISOString(),
    ...(stateName ? { stateName } : {}),
    ...extra,
  }));
}

/** A project of `ownerId` with one finished engineering run in it; returns the run's name. */
async function projectWithRun(
  pipelines: MemoryPipelines,
  ownerId: number,
  name: string,
  status: RunStatus,
  events: RunHistoryEvent[],
): Promise<string> {
  const id = `${name}-1a2b3c`;
  const at = new Date(T0).toISOString();
  await new ProjectRepository(runtime.store).create({
    id,
    ownerId,
    name,
    description: `a ${name}`,
    status: status === 'SUCCEEDED' ? 'ready' : 'failed',
    secretKeys: [],
    createdAt: at,
    updatedAt: at,
  });
  const runName = `eng-${id}-1`;
  const runId = `arn:aws:states:eu-west-1:123456789012:execution:CodegenOrchestrator-engineering:${runName}`;
  pipelines.runs.set(runId, {
    runId,
    pipeline: 'engineering',
    name: runName,
    status,
    startedAt: at,
    ...(status === 'RUNNING' ? {} : { stoppedAt: events.at(-1)?.timestamp ?? at }),
    input: { projectId: id },
    ...(status === 'FAILED' ? { error: 'RepositoryFailed', cause: 'The git host refused.' } : {}),
    events,
  });
  await new RunRecords(runtime.store, 'engineering').put({
    runName,
    runId,
    pipeline: 'engineering',
    projectId: id,
    ownerId,
    chatId: ownerId,
    number: 1,
    startedAt: at,
  });
  return runName;
}

beforeAll(async () => {
  const config = loadConfig({
    TELEGRAM_BOT_USERNAME: 'orchestrator_bot',
    ADMIN_TELEGRAM_IDS: String(ADMIN),
    QUEUE_DRIVER: 'local-file',
    LOCAL_QUEUE_DIR: '/nonexistent/the-api-never-sends',
    SECRETS_DRIVER: 'local-file',
    LOCAL_SECRETS_DIR: '/nonexistent/the-api-reads-none',
  });
  const unusedQueue = {} as Runtime['queue'];
  runtime = assembleRuntime(
    config,
    { store: new MemoryStore(), queue: unusedQueue, secrets: new MemorySecrets() },
    createLogger('inspector-deployed-test'),
  );
  pipelines = new MemoryPipelines();
  runtime.pipelines = pipelines;
  await new UserDirectory(runtime.store).admit({
    userId: ALICE,
    admittedBy: ADMIN,
    admittedAt: new Date(T0).toISOString(),
  });
  const keys = apiKeysOf(runtime);
  const admin = { userId: ADMIN, role: 'admin' as const };
  adminKey = (await keys.create(admin, { ownerId: ADMIN, name: 'admin' })).secret;
  aliceKey = (await keys.create(admin, { ownerId: ALICE, name: 'alice' })).secret;

  // The admin's build failed creating the repository: caught, the owner told, the Fail state.
  adminRun = await projectWithRun(
    pipelines,
    ADMIN,
    'weather-bot',
    'FAILED',
    history([
      ['ExecutionStarted'],
      ['TaskStateEntered', 'Tell the owner the build started'],
      ['TaskStateExited', 'Tell the owner the build started'],
      ['TaskStateEntered', 'Write the spec', { input: '{"projectId":"weather-bot-1a2b3c"}' }],
      ['TaskStateExited', 'Write the spec', { output: '{"specRef":"doc:spec-1"}' }],
      ['TaskStateEntered', 'Create the repository'],
      ['TaskScheduled', 'Create the repository'],
      ['TaskFailed', undefined, { error: 'RepositoryFailed', cause: 'The git host refused.' }],
      ['TaskStateExited', 'Create the repository'],
      ['TaskStateEntered', 'Tell the owner the build failed'],
      ['TaskStateExited', 'Tell the owner the build failed'],
      ['FailStateEntered', 'Failed'],
      ['ExecutionFailed', undefined, { error: 'BuildFailed' }],
    ]),
  );
  aliceRun = await projectWithRun(
    pipelines,
    ALICE,
    'quote-bot',
    'SUCCEEDED',
    history([
      ['ExecutionStarted'],
      ['TaskStateEntered', 'Tell the owner the build started'],
      ['TaskStateExited', 'Tell the owner the build started'],
      ['ExecutionSucceeded'],
    ]),
  );

  // What the Lambda reads from its bundle, built the way its bundling builds it.
  const handler = createAdminApiHandler(() => runtime, [], {
    inspectorAssets: buildInspectorAssets,
    pipelineGraphs: async () => pipelineGraphs(),
  });
  api = await startHttpApi({}, 0, {}, { '': adminApiGateway(handler, authorizer) });
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
}, 60_000);

afterEach(async () => {
  await page?.close();
  page = undefined;
});

afterAll(async () => {
  await browser?.close();
  await api?.stop();
});

/** Opens the page as a person would: the address, then (when given) the key in its form. */
async function open(path: string, key?: string): Promise<Page> {
  page = await browser.newPage();
  await page.goto(`${api.url}${path}`);
  if (key !== undefined) {
    await page.waitForSelector('body[data-view="key"]');
    await page.fill('#api-key', key);
    await page.click('form.key-form button[type="submit"]');
  }
  return page;
}

const message = (p: Page) => p.textContent('.key-message');

describe('run inspector on the deployed admin API (its handler behind API Gateway’s authorizer)', () => {
  it('serves the page shell without a key, and without one shows no data but asks for the key', async () => {
    // Act
    const p = await open('/inspector');
    await p.waitForSelector('body[data-view="key"]');

    // Assess: the shell's headers
    const shell = await p.request.get(`${api.url}/inspector`);
    expect(shell.status()).toBe(200);
    expect(shell.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(shell.headers()['content-security-policy']).not.toContain('unsafe-inline');
    expect(shell.headers()['referrer-policy']).toBe('no-referrer');
    expect(shell.headers()['x-content-type-options']).toBe('nosniff');
    // The form, and nothing of the runs
    expect(await message(p)).toContain('enter an API key');
    expect(await p.$('table.runs')).toBeNull();
    expect(await p.$('svg.graph')).toBeNull();
    expect(await p.textContent('#view')).not.toContain('weather-bot');
    await p.screenshot({ path: join(tmpdir(), 'inspector-key-form.png') });
    // The data route itself, asked directly without a key: API Gateway's own 401
    const data = await p.request.get(`${api.url}/inspector/api/runs`);
    expect(data.status()).toBe(401);
  });

  it.each([
    { key: 'not-a-key', says: /403: Forbidden/ },
    { key: `oak_${'a'.repeat(10)}_${'b'.repeat(43)}`, says: /refused \(401: This API key is not known\.\)/ },
  ])('says so when the key is wrong ($key), shows nothing and asks again', async ({ key, says }) => {
    // Act
    const p = await open('/inspector', key);

    // Assess
    await p.waitForFunction(
      (before) => document.querySelector('.key-message')?.textContent !== before,
      'The runs are behind the admin API’s key',
    );
    await p.waitForSelector('.key-message.problem');
    expect(await message(p)).toMatch(says);
    expect(await p.$('#api-key')).not.toBeNull();
    expect(await p.$('table.runs')).toBeNull();
    // A key that is no good is not kept
    expect(await p.evaluate(() => Object.keys(sessionStorage))).toEqual([]);
  });

  it('with a user’s key lists only the runs of that user’s projects, and refuses another’s run', async () => {
    // Act
    const p = await open('/inspector', aliceKey);
    await p.waitForSelector('table.runs tbody tr');

    // Assess
    const names = await p.$$eval('table.runs tbody tr', (rows) =>
      rows.map((r) => r.getAttribute('data-run-id')),
    );
    expect(names).toEqual([aliceRun]);
    expect(await p.textContent('table.runs')).toContain('quote-bot');

    // Act: the admin's run, by its address
    await p.goto(`${api.url}/inspector?run=${encodeURIComponent(adminRun)}`);

    // Assess: the same tab keeps the key; the run is not shown, and the page says why
    await p.waitForSelector('.key-message.problem');
    expect(await message(p)).toMatch(/403: Project weather-bot-1a2b3c belongs to someone else/);
    expect(await p.$('svg.graph')).toBeNull();

    // Act: back to the runs, with the same key
    await p.click('.key-prompt a.back');

    // Assess
    await p.waitForSelector(`table.runs tbody tr[data-run-id="${aliceRun}"]`);
  });

  it('with an admin’s key shows a finished run’s graph, coloured, and its history', async () => {
    // Act: the list, then the failed run from it
    const p = await open('/inspector', adminKey);
    await p.waitForSelector(`table.runs tbody tr[data-run-id="${aliceRun}"]`);
    expect(await p.$$eval('table.runs tbody tr', (rows) => rows.length)).toBe(2);
    await p.click(`table.runs a:text("${adminRun}")`);
    await p.waitForSelector('body[data-view="run"][data-run-status="FAILED"]');

    // Assess: the real engineering graph, each state as the run went
    const status = (state: string) =>
      p.getAttribute(`svg.graph g.node[data-state="${state}"]`, 'data-status');
    expect(await status('Tell the owner the build started')).toBe('succeeded');
    expect(await status('Write the spec')).toBe('succeeded');
    expect(await status('Create the repository')).toBe('failed');
    expect(await status('Tell the owner the build failed')).toBe('succeeded');
    expect(await status('Failed')).toBe('failed');
    expect(await status('Write the code')).toBe('not-reached');
    expect(await status('Built')).toBe('not-reached');
    // The history with its references
    const rows = await p.$$eval('table.history tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(rows).toHaveLength(13);
    expect(rows.find((r) => r[2] === 'TaskStateExited' && r[3] === 'Write the spec')?.[4]).toContain(
      'doc:spec-1',
    );
    expect(rows.find((r) => r[2] === 'TaskFailed')?.[4]).toContain('The git host refused.');
    // The key stays in this tab's session storage only, sent as the CLI sends it
    const storage = await p.evaluate(() => ({
      session: Object.keys(sessionStorage),
      local: Object.keys(localStorage),
      cookie: document.cookie,
    }));
    expect(storage).toEqual({ session: ['orchestrator.inspector.apiKey'], local: [], cookie: '' });
    const data = await p.request.get(`${api.url}/inspector/api/runs/${adminRun}`, {
      headers: { authorization: `Bearer ${adminKey}` },
    });
    expect(data.headers()['cache-control']).toBe('no-store');
    expect(data.headers()['x-content-type-options']).toBe('nosniff');
  });

  it('follows a running run with the key, without a reload, to its end', async () => {
    // Prepare: a build of the admin's that is writing its spec
    const running = await projectWithRun(
      pipelines,
      ADMIN,
      'timer-bot',
      'RUNNING',
      history([
        ['ExecutionStarted'],
        ['TaskStateEntered', 'Tell the owner the build started'],
        ['TaskStateExited', 'Tell the owner the build started'],
        ['TaskStateEntered', 'Write the spec'],
      ]),
    );
    const run = [...pipelines.runs.values()].find((r) => r.name === running);
    const p = await open(`/inspector?run=${encodeURIComponent(running)}`, adminKey);
    await p.waitForSelector('g.node[data-state="Write the spec"][data-status="running"]');
    await p.evaluate(() => {
      (window as unknown as { __sameDocument?: boolean }).__sameDocument = true;
    });

    // Act: the spec is written, and the run is stopped
    const more = history(
      [
        ['TaskStateExited', 'Write the spec'],
        ['TaskStateEntered', 'Create the repository'],
        ['ExecutionAborted'],
      ],
      5,
    );
    run?.events.push(...more);
    if (run) {
      run.status = 'ABORTED';
      run.stoppedAt = more.at(-1)?.timestamp ?? '';
    }

    // Assess
    await p.waitForSelector('body[data-run-status="ABORTED"]');
    expect(await p.getAttribute('g.node[data-state="Write the spec"]', 'data-status')).toBe('succeeded');
    expect(await p.getAttribute('g.node[data-state="Create the repository"]', 'data-status')).toBe('aborted');
    expect(await p.$$eval('table.history tbody tr', (trs) => trs.length)).toBe(7);
    expect(await p.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument)).toBe(
      true,
    );
  });
});
