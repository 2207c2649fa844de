import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { UsageLedger } from '../../lambdas/domain/usage/usage-ledger.ts';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

/** Monthly budgets on the local stack: the offline model and the scripted engine, both priced. */

const OTHER_ADMIN = 1002;
const NOT_YOURS = 'That question was for someone else.';
const STALE = 'That button is no longer valid.';

let harness: StackHarness | undefined;
afterEach(async () => {
  await harness?.dispose();
  harness = undefined;
});

const button = (h: StackHarness, label: string) =>
  h.buttons(ADMIN_ID).find((b) => b.text === label)?.data ?? '';
const ledger = (h: StackHarness) => new UsageLedger(h.stack.runtime.store, h.stack.config.llm.prices);

describe('budgets: a Product Owner turn', () => {
  it('pauses a turn at the budget; Stop ends it at no cost, Raise lets it answer; other or repeated presses change nothing', async () => {
    // Prepare: the offline model priced so that its first call (the intent parser's) already
    // spends more than the $0.01 budget
    harness = await StackHarness.start({
      ADMIN_TELEGRAM_IDS: `${ADMIN_ID},${OTHER_ADMIN}`,
      USER_MONTHLY_BUDGET_USD: '0.01',
      LLM_PRICES: JSON.stringify({ 'offline-deterministic': { inputPerMTok: 100, outputPerMTok: 100 } }),
    });
    const h = harness;

    // Act 1: the turn pauses before its next model call; someone else presses Raise, then the
    // owner Stop, then Raise on the answered question
    await h.say(ADMIN_ID, 'list my projects');
    await h.waitForText(ADMIN_ID, /^Your monthly budget is reached: \$\d+\.\d+ of \$0\.01 spent this month/);
    await h.settle();
    const atPause = await ledger(h).userTotals(ADMIN_ID);
    expect(atPause.costMicros).toBeGreaterThanOrEqual(10_000);
    const raise = button(h, 'Raise for this request');
    const stop = button(h, 'Stop');
    await h.press(OTHER_ADMIN, raise, ADMIN_ID);
    await h.waitForText(ADMIN_ID, new RegExp(`^${NOT_YOURS}$`));
    await h.press(ADMIN_ID, stop);
    await h.waitForText(ADMIN_ID, /^Stopped: the monthly budget is reached/);
    const stopped = h.texts(ADMIN_ID).length;
    await h.press(ADMIN_ID, raise);
    await h.waitForText(ADMIN_ID, new RegExp(`^${STALE}$`), { timeoutMs: 15_000, after: stopped });

    // The next message is asked about before any model call
    const before = h.texts(ADMIN_ID).length;
    await h.say(ADMIN_ID, 'list my projects');
    await h.waitForText(ADMIN_ID, /budget is reached/, { timeoutMs: 15_000, after: before });
    await h.settle();

    // Assess 1: nothing was spent after the pause, and nothing was answered
    expect(await ledger(h).userTotals(ADMIN_ID)).toEqual(atPause);
    expect(h.texts(ADMIN_ID).some((t) => /no projects yet/.test(t))).toBe(false);

    // Act 2: Raise this time
    await h.press(ADMIN_ID, button(h, 'Raise for this request'));
    await h.waitForText(ADMIN_ID, /no projects yet/, { timeoutMs: 30_000, after: before });

    // Assess 2: the turn answered, and spent
    expect((await ledger(h).userTotals(ADMIN_ID)).costMicros).toBeGreaterThan(atPause.costMicros);
  }, 120_000);
});

describe('budgets: an engineering run', () => {
  async function buildUntilPaused(h: StackHarness): Promise<void> {
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await h.waitForText(ADMIN_ID, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'set budget for project weather-bot to $0.5');
    await h.waitForText(ADMIN_ID, /^The monthly budget of project weather-bot is now \$0\.50\.$/);
    await h.say(ADMIN_ID, 'build it');
    await h.waitForText(ADMIN_ID, /^Start building weather-bot\?/);
    await h.press(ADMIN_ID, button(h, 'Confirm'));
    // The first attempt (red, $1 of engine tokens) takes the project past $0.50: the run pauses.
    await h.waitForText(
      ADMIN_ID,
      /^The build of weather-bot-[0-9a-f]{6} reached the monthly budget of project/,
      { timeoutMs: 120_000 },
    );
  }

  const engineEnv = {
    ADMIN_TELEGRAM_IDS: `${ADMIN_ID},${OTHER_ADMIN}`,
    HEARTBEAT_SECONDS: '2',
    SCRIPTED_ENGINE_FAIL_ATTEMPTS: '1',
    SCRIPTED_ENGINE_TOKENS: '1000',
    LLM_PRICES: JSON.stringify({ 'scripted-engine': { inputPerMTok: 1000, outputPerMTok: 0 } }),
  };

  it('Raise for this run: the run goes on and is built; a stranger’s or a second press does nothing', async () => {
    // Prepare
    harness = await StackHarness.start(engineEnv);
    const h = harness;
    await buildUntilPaused(h);
    const raise = button(h, 'Raise for this run');
    expect(raise).toMatch(/^bud:[0-9a-f]{16}:r$/);

    // Act
    await h.press(OTHER_ADMIN, raise, ADMIN_ID);
    await h.waitForText(ADMIN_ID, new RegExp(`^${NOT_YOURS}$`));
    await h.press(ADMIN_ID, raise);
    await h.waitForText(ADMIN_ID, /^Raised for this run/);
    const raised = h.texts(ADMIN_ID).length;
    await h.press(ADMIN_ID, button(h, 'Stop') || raise.replace(/:r$/, ':s'));
    await h.waitForText(ADMIN_ID, new RegExp(`^${STALE}$`), { timeoutMs: 15_000, after: raised });

    // Assess: built after two attempts, the second one allowed by the raise
    await h.waitForText(ADMIN_ID, /succeeded|^Built weather-bot/, { timeoutMs: 120_000, after: raised });
    const [run] = await h.stack.engineering.pipelines.list('engineering');
    const history = await h.stack.engineering.pipelines.history(run?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered.filter((n) => n === 'Write the code')).toHaveLength(2);
    expect(entered.filter((n) => n === 'Wait for a budget decision')).toHaveLength(1);
    expect((await h.stack.engineering.pipelines.describe(run?.runId ?? '')).status).toBe('SUCCEEDED');
  }, 240_000);

  it('Stop: the run ends without another attempt, the owner is told, and usage does not grow', async () => {
    // Prepare
    harness = await StackHarness.start(engineEnv);
    const h = harness;
    await buildUntilPaused(h);
    const [run] = await h.stack.engineering.pipelines.list('engineering');
    const started = await h.stack.engineering.pipelines.describe(run?.runId ?? '');
    const { projectId } = started.input.run as { projectId: string };
    const atPause = await ledger(h).projectTotals(projectId);

    // Act
    const before = h.texts(ADMIN_ID).length;
    await h.press(ADMIN_ID, button(h, 'Stop'));
    await h.waitForText(ADMIN_ID, /^OK, stopping that build here/, { timeoutMs: 15_000, after: before });
    await h.waitForText(ADMIN_ID, /stopped (?:at the monthly budget|at budget)/, {
      timeoutMs: 60_000,
      after: before,
    });
    await h.settle();
    await new Promise((r) => setTimeout(r, 1000));

    // Assess
    const described = await h.stack.engineering.pipelines.describe(run?.runId ?? '');
    expect(described.status).toBe('SUCCEEDED');
    const history = await h.stack.engineering.pipelines.history(run?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered.filter((n) => n === 'Write the code')).toHaveLength(1);
    expect(entered.at(-1)).toBe('Stopped at the budget');
    expect(atPause.costMicros).toBe(1_000_000);
    expect(await ledger(h).projectTotals(projectId)).toEqual(atPause);
  }, 240_000);
});

describe('budgets: a run started where no turn asks first', () => {
  it('a build started through the API at its budget pauses before the analyst; Stop writes no spec and spends nothing', async () => {
    // Prepare: every project starts at its budget ($0); the API starts runs without a chat turn
    harness = await StackHarness.start({
      ADMIN_TELEGRAM_IDS: `${ADMIN_ID},${OTHER_ADMIN}`,
      PROJECT_MONTHLY_BUDGET_USD: '0',
      LLM_PRICES: JSON.stringify({ 'offline-deterministic': { inputPerMTok: 1, outputPerMTok: 1 } }),
    });
    const h = harness;
    const key = (await readFile(join(h.dataDir, 'api-key'), 'utf8')).trim();
    const api = (path: string, body: object) =>
      fetch(`${h.stack.apiUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const created = await api('/projects', { description: 'a weather bot with daily notifications' });
    expect(created.status).toBe(201);
    const { project } = (await created.json()) as { project: { id: string } };
    const spentBefore = await ledger(h).projectTotals(project.id);

    // Act
    const started = await api(`/projects/${project.id}/builds`, {});
    expect(started.status).toBe(202);
    await h.waitForText(
      ADMIN_ID,
      /^The build of weather-bot-[0-9a-f]{6} reached the monthly budget of project/,
    );
    await h.press(ADMIN_ID, button(h, 'Stop'));
    await h.waitForText(ADMIN_ID, /stopped at the monthly budget after 0 attempt/);

    // Assess: through the gate first, and no further: no spec, no repository, nothing spent
    const [run] = await h.stack.engineering.pipelines.list('engineering');
    const history = await h.stack.engineering.pipelines.history(run?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered).toEqual([
      'Tell the owner the build started',
      'No attempt yet',
      'Check the budget',
      'Within the budget?',
      'Wait for a budget decision',
      'Raise or stop?',
      'Tell the owner it stopped at the budget',
      'Stopped at the budget',
    ]);
    expect(await ledger(h).projectTotals(project.id)).toEqual(spentBefore);
  }, 120_000);
});

describe('budgets: a devops run', () => {
  const deployEnv = {
    ADMIN_TELEGRAM_IDS: `${ADMIN_ID},${OTHER_ADMIN}`,
    HEARTBEAT_SECONDS: '2',
    SCRIPTED_ENGINE_TOKENS: '1000',
    LLM_PRICES: JSON.stringify({ 'scripted-engine': { inputPerMTok: 1000, outputPerMTok: 0 } }),
  };

  /**
   * "Build and deploy it" with a $0.50 project budget: the build's one attempt ($1 of engine
   * tokens) passes it, and the deploy the build starts by itself (no turn in between to ask at)
   * pauses at its own gate.
   */
  async function deployUntilPaused(h: StackHarness): Promise<void> {
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await h.waitForText(ADMIN_ID, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'set budget for project weather-bot to $0.5');
    await h.waitForText(ADMIN_ID, /^The monthly budget of project weather-bot is now \$0\.50\.$/);
    await h.say(ADMIN_ID, 'build and deploy it');
    await h.waitForText(ADMIN_ID, /^Start building weather-bot and deploy it/);
    await h.press(ADMIN_ID, button(h, 'Confirm'));
    await h.waitForText(
      ADMIN_ID,
      /^The deploy of weather-bot-[0-9a-f]{6} reached the monthly budget of project/,
      { timeoutMs: 180_000 },
    );
  }

  it('Stop: the deploy ends before it touches the server, the owner is told, usage does not grow', async () => {
    // Prepare
    harness = await StackHarness.start(deployEnv);
    const h = harness;
    await deployUntilPaused(h);
    const [run] = await h.stack.engineering.pipelines.list('devops');
    const { projectId } = (await h.stack.engineering.pipelines.describe(run?.runId ?? '')).input.run as {
      projectId: string;
    };
    const atPause = await ledger(h).projectTotals(projectId);

    // Act
    const before = h.texts(ADMIN_ID).length;
    await h.press(ADMIN_ID, button(h, 'Stop'));
    await h.waitForText(ADMIN_ID, /^OK, stopping that deploy here/, { timeoutMs: 15_000, after: before });
    await h.waitForText(ADMIN_ID, /stopped at the monthly budget/, { timeoutMs: 60_000, after: before });
    await h.settle();

    // Assess: never analysed, never deployed; what was spent stays what it was
    const described = await h.stack.engineering.pipelines.describe(run?.runId ?? '');
    expect(described.status).toBe('SUCCEEDED');
    const history = await h.stack.engineering.pipelines.history(run?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered).not.toContain('Classify the variables');
    expect(entered).not.toContain('Deploy the release');
    expect(entered.at(-1)).toBe('Stopped at the budget');
    expect(h.texts(ADMIN_ID).some((t) => / is live at /.test(t))).toBe(false);
    expect(await ledger(h).projectTotals(projectId)).toEqual(atPause);
    await h.say(ADMIN_ID, 'status of weather-bot');
    await h.waitForText(ADMIN_ID, /weather-bot/, { timeoutMs: 15_000, after: h.texts(ADMIN_ID).length });
  }, 240_000);

  it('Raise for this run: the deploy goes on and the service goes live', async () => {
    // Prepare
    harness = await StackHarness.start(deployEnv);
    const h = harness;
    await deployUntilPaused(h);

    // Act
    const before = h.texts(ADMIN_ID).length;
    await h.press(ADMIN_ID, button(h, 'Raise for this run'));
    await h.waitForText(ADMIN_ID, /^Raised for this run: the deploy goes on\./, {
      timeoutMs: 15_000,
      after: before,
    });
    await h.waitForText(ADMIN_ID, /needs WEATHER_API_KEY/, { timeoutMs: 60_000, after: before });
    await h.say(ADMIN_ID, 'wk_live_5e6f7a8b9c0d1e2f3a4b');
    const live = await h.waitForText(ADMIN_ID, /is live at/, { timeoutMs: 120_000, after: before });

    // Assess
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(live)?.[1];
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const [run] = await h.stack.engineering.pipelines.list('devops');
    const history = await h.stack.engineering.pipelines.history(run?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered.filter((n) => n === 'Wait for a budget decision')).toHaveLength(1);
    expect(entered.at(-1)).toBe('Deployed');
  }, 240_000);
});
