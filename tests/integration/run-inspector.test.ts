import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Browser, chromium, type Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LocalStepFunctions } from '../../lambdas/adapters/local/local-step-functions.ts';
import { buildInspectorAssets } from '../../lambdas/inspector/inspector-assets.ts';
import { createRunInspector, type InspectorAssets } from '../../lambdas/inspector/run-inspector.ts';
import type { AslStates } from '../../lambdas/inspector/state-graph.ts';
import type { PipelineName, RunStatus } from '../../lambdas/ports/pipelines.ts';
import { type LocalHttpApi, startHttpApi } from '../../scripts/local-stack/http-api.ts';
import { inspectorMount } from '../../scripts/local-stack/inspector-mount.ts';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

/** The run inspector page in real headless Chromium: what it draws is read from the DOM. */
const CHROMIUM = '/usr/bin/chromium-headless-shell';
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];
const LAMBDA = 'arn:aws:states:::lambda:invoke';
const HOSTILE = '<img src=x onerror=window.__pwned=1>';

// A small pipeline: a loop (Work twice), a Choice, a Catch to a clean-up that ends in a Fail state.
const DEFINITION = {
  StartAt: 'Prepare',
  States: {
    Prepare: { Type: 'Pass', Parameters: { 'fail.$': '$.fail', n: 0 }, Next: 'Work' },
    Work: {
      Type: 'Task',
      Resource: LAMBDA,
      Parameters: { FunctionName: 'work', Payload: { 'fail.$': '$.fail', 'n.$': '$.n' } },
      TimeoutSeconds: 30,
      ResultSelector: { 'n.$': '$.Payload.n' },
      ResultPath: '$.result',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Clean up' }],
      Next: 'Again?',
    },
    'Again?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.result.n', NumericLessThan: 2, Next: 'Count' }],
      Default: 'Report',
    },
    Count: { Type: 'Pass', Parameters: { 'fail.$': '$.fail', 'n.$': '$.result.n' }, Next: 'Work' },
    Report: {
      Type: 'Task',
      Resource: LAMBDA,
      Parameters: { FunctionName: 'report', Payload: {} },
      TimeoutSeconds: 30,
      ResultPath: null,
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    'Clean up': {
      Type: 'Task',
      Resource: LAMBDA,
      Parameters: { FunctionName: 'clean-up', Payload: {} },
      TimeoutSeconds: 30,
      ResultPath: null,
      Next: 'Failed',
    },
    Failed: { Type: 'Fail', Error: 'WorkFailed', Cause: 'Work failed; see the history.' },
  },
};

let browser: Browser;
let assets: InspectorAssets;

beforeAll(async () => {
  assets = await buildInspectorAssets();
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_FLAGS });
});

afterAll(async () => {
  await browser?.close();
});

/** Each state node's status (and visit count) as the page shows it. */
async function nodes(
  page: Page,
): Promise<Record<string, { status: string; entered: string; count: string }>> {
  return page.$$eval('svg.graph g.node[data-kind="state"], svg.graph g.node[data-kind="in"]', (groups) =>
    Object.fromEntries(
      groups.map((g) => [
        g.getAttribute('data-state') ?? '',
        {
          status: g.getAttribute('data-status') ?? '',
          entered: g.getAttribute('data-entered') ?? '',
          count: g.querySelector('text.count')?.textContent ?? '',
        },
      ]),
    ),
  );
}

const stateIs = (page: Page, state: string, status: string, timeout = 30_000) =>
  page.waitForSelector(`g.node[data-state="${state}"][data-status="${status}"]`, { timeout });

describe('run inspector over the local Step Functions runner', () => {
  let dataDir: string;
  let runner: LocalStepFunctions;
  let api: LocalHttpApi;
  let page: Page;
  // Work's n-th call waits until the test opens gate n.
  let gates: Array<{ open: () => void; opened: Promise<void> }>;

  beforeAll(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'inspector-sfn-'));
    gates = [0, 1].map(() => {
      let open: () => void = () => undefined;
      const opened = new Promise<void>((resolve) => {
        open = resolve;
      });
      return { open, opened };
    });
    runner = new LocalStepFunctions({
      dataDir,
      definitions: { engineering: { definition: DEFINITION }, devops: { definition: DEFINITION } },
      lambdas: {
        work: async (payload) => {
          const { fail, n } = payload as { fail: boolean; n: number };
          if (fail) throw new Error(`the work broke: ${HOSTILE}`);
          await gates[n]?.opened;
          return { n: n + 1 };
        },
        report: async () => ({}),
        'clean-up': async () => ({}),
      },
      tasks: {},
    });
    const definitions = { engineering: DEFINITION, devops: DEFINITION } as Record<PipelineName, AslStates>;
    api = await startHttpApi(
      {},
      0,
      {},
      { '/inspector': inspectorMount(createRunInspector({ pipelines: runner, definitions, assets })) },
    );
  });

  afterEach(async () => {
    await page?.close();
  });

  afterAll(async () => {
    for (const gate of gates) gate.open();
    await api?.stop();
    await runner?.close();
    rmSync(dataDir, { recursive: true, force: true });
  });

  async function settled(runId: string): Promise<RunStatus> {
    for (let i = 0; i < 400; i++) {
      const { status } = await runner.describe(runId);
      if (status !== 'RUNNING') return status;
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    throw new Error('run did not finish');
  }

  it('shows a failed run: graph states succeeded, failed and not reached, and its history as text', async () => {
    // Prepare: a run whose Work task throws, is caught, cleaned up and ends in the Fail state
    const { runId } = await runner.start({
      pipeline: 'engineering',
      name: 'broken-run',
      input: { fail: true },
    });
    expect(await settled(runId)).toBe('FAILED');
    page = await browser.newPage();

    // Act
    const response = await page.goto(`${api.url}/inspector/?run=${encodeURIComponent(runId)}`);
    await page.waitForSelector('body[data-run-status="FAILED"]');

    // Assess: the page is served with a CSP that allows no inline script
    expect(response?.headers()['content-security-policy']).toContain("script-src 'self'");
    expect(response?.headers()['content-security-policy']).not.toContain('unsafe-inline');
    // Each state coloured by how it went
    const shown = await nodes(page);
    expect(Object.fromEntries(Object.entries(shown).map(([name, node]) => [name, node.status]))).toEqual({
      Prepare: 'succeeded',
      Work: 'failed',
      'Again?': 'not-reached',
      Count: 'not-reached',
      Report: 'not-reached',
      Done: 'not-reached',
      'Clean up': 'succeeded',
      Failed: 'failed',
    });
    expect(await page.getAttribute('g.node[data-state="Again?"]', 'data-type')).toBe('Choice');
    expect(await page.$('g.node[data-state="Again?"] polygon.shape')).not.toBeNull();
    // Edges from Next, Choices, Default and Catch (dashed)
    const edges = await page.$$eval('svg.graph path.edge', (paths) =>
      paths.map(
        (p) => `${p.getAttribute('data-from')} -> ${p.getAttribute('data-to')} ${p.getAttribute('class')}`,
      ),
    );
    expect(edges).toEqual(
      expect.arrayContaining([
        'Work -> Clean up edge edge--catch',
        'Work -> Again? edge edge--next',
        'Again? -> Count edge edge--choice',
        'Again? -> Report edge edge--default',
        'Count -> Work edge edge--next',
      ]),
    );
    // The history, with the error's hostile text shown as text and never run
    const rows = await page.$$eval('table.history tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('td')].map((td) => td.textContent ?? '')),
    );
    expect(rows.map((r) => r[2])).toEqual(
      expect.arrayContaining([
        'ExecutionStarted',
        'TaskStateEntered',
        'TaskFailed',
        'FailStateEntered',
        'ExecutionFailed',
      ]),
    );
    expect(rows.find((r) => r[2] === 'TaskStateEntered')?.[3]).toBe('Work');
    expect(rows.find((r) => r[2] === 'TaskFailed')?.[4]).toContain(HOSTILE);
    expect(await page.$$('img')).toHaveLength(0);
    expect(await page.evaluate(() => (window as unknown as { __pwned?: number }).__pwned)).toBeUndefined();
  });

  it('lists the runs and opens one from the list', async () => {
    // Prepare
    page = await browser.newPage();

    // Act
    await page.goto(`${api.url}/inspector/`);
    await page.waitForSelector('table.runs tbody tr');
    await page.click('table.runs a:text("broken-run")');

    // Assess
    await page.waitForSelector('body[data-view="run"][data-run-status="FAILED"]');
    expect(new URL(page.url()).searchParams.get('run')).toContain('broken-run');
  });

  it('updates a running run without a reload: colours, visit counts and history', async () => {
    // Prepare: a run held in its first Work task
    const { runId } = await runner.start({
      pipeline: 'engineering',
      name: 'live-run',
      input: { fail: false },
    });
    page = await browser.newPage();
    await page.goto(`${api.url}/inspector/?run=${encodeURIComponent(runId)}`);
    await stateIs(page, 'Work', 'running');
    expect((await nodes(page)).Report?.status).toBe('not-reached');
    await page.evaluate(() => {
      (window as unknown as { __sameDocument?: boolean }).__sameDocument = true;
    });
    const rowsBefore = await page.$$eval('table.history tbody tr', (trs) => trs.length);

    // Act: the first Work call finishes; the loop enters Work again
    gates[0]?.open();

    // Assess: the second visit is in progress and counted
    await page.waitForSelector('g.node[data-state="Work"][data-status="running"][data-entered="2"]');
    const looping = await nodes(page);
    expect(looping.Count?.status).toBe('succeeded');
    expect(looping['Again?']?.status).toBe('succeeded');
    expect(looping.Work?.count).toBe('×2');

    // Act: the second call finishes; the run ends
    gates[1]?.open();

    // Assess: everything on the path is green, the side paths grey, in the same document
    await page.waitForSelector('body[data-run-status="SUCCEEDED"]');
    const done = await nodes(page);
    expect(done.Work).toEqual({ status: 'succeeded', entered: '2', count: '×2' });
    expect(done.Report?.status).toBe('succeeded');
    expect(done.Done?.status).toBe('succeeded');
    expect(done['Clean up']?.status).toBe('not-reached');
    expect(done.Failed?.status).toBe('not-reached');
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    const rowsAfter = await page.$$eval('table.history tbody tr', (trs) => trs.length);
    expect(rowsAfter).toBeGreaterThan(rowsBefore);
    expect(await page.$$eval('table.history tbody tr', (trs) => trs.at(-1)?.getAttribute('data-type'))).toBe(
      'ExecutionSucceeded',
    );
  });
});

describe('run inspector on the local stack', () => {
  let harness: StackHarness | undefined;
  let page: Page | undefined;
  afterEach(async () => {
    await page?.close();
    await harness?.dispose();
    harness = undefined;
  });

  it('follows a real build while it runs and ends with every state on its path green', async () => {
    // Prepare: a build confirmed in the chat
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });
    const h = harness;
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await until(() => h.replies(ADMIN_ID).some((r) => r.text.startsWith('Created project weather-bot')));
    await h.say(ADMIN_ID, 'build it');
    await until(() => h.buttons(ADMIN_ID).some((b) => b.text === 'Confirm'));
    await h.press(ADMIN_ID, h.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '');
    let runId = '';
    await until(async () => {
      runId = (await h.stack.engineering.pipelines.list('engineering'))[0]?.runId ?? '';
      return runId !== '';
    });

    // Act: open the run from the list the stack serves, while it runs
    page = await browser.newPage({ viewport: { width: 1600, height: 1000 } });
    expect(h.stack.inspectorUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/inspector\/$/);
    await page.goto(h.stack.inspectorUrl);
    await page.click('table.runs tbody tr:first-child a');
    await page.waitForSelector('body[data-view="run"]');
    await page.evaluate(() => {
      (window as unknown as { __sameDocument?: boolean }).__sameDocument = true;
    });

    // Assess: the page follows the run to its end without a reload (seeing "Write the code" in
    // progress depends on the machine's speed; the controlled-task test above covers that part)
    await stateIs(page, 'Write the code', 'succeeded', 90_000);
    await page.waitForSelector('body[data-run-status="SUCCEEDED"]', { timeout: 90_000 });
    const shown = await nodes(page);
    for (const state of [
      'Tell the owner the build started',
      'Write the spec',
      'Create the repository',
      'Write the code',
      'Test on a fresh clone',
      'Record the attempt',
      'Did the tests pass?',
      'Tell the owner it is built',
      'Built',
    ]) {
      expect(shown[state]?.status, state).toBe('succeeded');
    }
    for (const state of ['Ask the owner what to do', 'Stop the worker tasks', 'Failed']) {
      expect(shown[state]?.status, state).toBe('not-reached');
    }
    expect(
      await page.evaluate(() => (window as unknown as { __sameDocument?: boolean }).__sameDocument),
    ).toBe(true);
    expect(Number(await page.getAttribute('body', 'data-polls'))).toBeGreaterThan(0);
    const history = await h.stack.engineering.pipelines.history(runId);
    expect(await page.$$eval('table.history tbody tr', (trs) => trs.length)).toBe(history.length);
    const screenshot = join(tmpdir(), 'run-inspector.png');
    await page.screenshot({ path: screenshot, fullPage: true });
    console.log(`run inspector screenshot: ${screenshot}`);
  }, 180_000);
});

async function until(probe: () => boolean | Promise<boolean>, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
