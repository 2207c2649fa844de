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

const texts = (h: StackHarness) => h.replies(ADMIN_ID).map((r) => r.text);

async function waitForText(h: StackHarness, pattern: RegExp, timeoutMs = 60_000, after = 0): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = texts(h)
      .slice(after)
      .find((t) => pattern.test(t));
    if (found) return found;
    if (Date.now() > deadline)
      throw new Error(`no reply matching ${pattern}; got ${JSON.stringify(texts(h))}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

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
    await waitForText(h, /^Your monthly budget is reached: \$\d+\.\d+ of \$0\.01 spent this month/);
    await h.settle();
    const atPause = await ledger(h).userTotals(ADMIN_ID);
    expect(atPause.costMicros).toBeGreaterThanOrEqual(10_000);
    const raise = button(h, 'Raise for this request');
    const stop = button(h, 'Stop');
    await h.press(OTHER_ADMIN, raise, ADMIN_ID);
    await waitForText(h, new RegExp(`^${NOT_YOURS}$`));
    await h.press(ADMIN_ID, stop);
    await waitForText(h, /^Stopped: the monthly budget is reached/);
    const stopped = texts(h).length;
    await h.press(ADMIN_ID, raise);
    await waitForText(h, new RegExp(`^${STALE}$`), 15_000, stopped);

    // The next message is asked about before any model call
    const before = texts(h).length;
    await h.say(ADMIN_ID, 'list my projects');
    await waitForText(h, /budget is reached/, 15_000, before);
    await h.settle();

    // Assess 1: nothing was spent after the pause, and nothing was answered
    expect(await ledger(h).userTotals(ADMIN_ID)).toEqual(atPause);
    expect(texts(h).some((t) => /no projects yet/.test(t))).toBe(false);

    // Act 2: Raise this time
    await h.press(ADMIN_ID, button(h, 'Raise for this request'));
    await waitForText(h, /no projects yet/, 30_000, before);

    // Assess 2: the turn answered, and spent
    expect((await ledger(h).userTotals(ADMIN_ID)).costMicros).toBeGreaterThan(atPause.costMicros);
  }, 120_000);
});

describe('budgets: an engineering run', () => {
  async function buildUntilPaused(h: StackHarness): Promise<void> {
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await waitForText(h, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'set budget for project weather-bot to $0.5');
    await waitForText(h, /^The monthly budget of project weather-bot is now \$0\.50\.$/);
    await h.say(ADMIN_ID, 'build it');
    await waitForText(h, /^Start building weather-bot\?/);
    await h.press(ADMIN_ID, button(h, 'Confirm'));
    // The first attempt (red, $1 of engine tokens) takes the project past $0.50: the run pauses.
    await waitForText(
      h,
      /^The build of weather-bot-[0-9a-f]{6} reached the monthly budget of project/,
      120_000,
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
    await waitForText(h, new RegExp(`^${NOT_YOURS}$`));
    await h.press(ADMIN_ID, raise);
    await waitForText(h, /^Raised for this run/);
    const raised = texts(h).length;
    await h.press(ADMIN_ID, button(h, 'Stop') || raise.replace(/:r$/, ':s'));
    await waitForText(h, new RegExp(`^${STALE}$`), 15_000, raised);

    // Assess: built after two attempts, the second one allowed by the raise
    await waitForText(h, /succeeded|^Built weather-bot/, 120_000, raised);
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
    const before = texts(h).length;
    await h.press(ADMIN_ID, button(h, 'Stop'));
    await waitForText(h, /^OK, stopping that build here/, 15_000, before);
    await waitForText(h, /stopped (?:at the monthly budget|at budget)/, 60_000, before);
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
  async function deployUntilPaused(h: StackHarness, shift: number): Promise<void> {
    // Messages of their own shift the update ids, so the project (and its port) differs from
    // other deploying tests' on this machine.
    for (let i = 0; i < shift; i += 1) {
      await h.say(ADMIN_ID, 'list my projects');
      await waitForText(h, /no projects yet/, 30_000, texts(h).length - 1);
    }
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await waitForText(h, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'set budget for project weather-bot to $0.5');
    await waitForText(h, /^The monthly budget of project weather-bot is now \$0\.50\.$/);
    await h.say(ADMIN_ID, 'build and deploy it');
    await waitForText(h, /^Start building weather-bot and deploy it/);
    await h.press(ADMIN_ID, button(h, 'Confirm'));
    await waitForText(
      h,
      /^The deploy of weather-bot-[0-9a-f]{6} reached the monthly budget of project/,
      180_000,
    );
  }

  it('Stop: the deploy ends before it touches the server, the owner is told, usage does not grow', async () => {
    // Prepare
    harness = await StackHarness.start(deployEnv);
    const h = harness;
    await deployUntilPaused(h, 1);
    const [run] = await h.stack.engineering.pipelines.list('devops');
    const { projectId } = (await h.stack.engineering.pipelines.describe(run?.runId ?? '')).input.run as {
      projectId: string;
    };
    const atPause = await ledger(h).projectTotals(projectId);

    // Act
    const before = texts(h).length;
    await h.press(ADMIN_ID, button(h, 'Stop'));
    await waitForText(h, /^OK, stopping that deploy here/, 15_000, before);
    await waitForText(h, /stopped at the monthly budget/, 60_000, before);
    await h.settle();

    // Assess: never analysed, never deployed; what was spent stays what it was
    const described = await h.stack.engineering.pipelines.describe(run?.runId ?? '');
    expect(described.status).toBe('SUCCEEDED');
    const history = await h.stack.engineering.pipelines.history(run?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered).not.toContain('Classify the variables');
    expect(entered).not.toContain('Deploy the release');
    expect(entered.at(-1)).toBe('Stopped at the budget');
    expect(texts(h).some((t) => / is live at /.test(t))).toBe(false);
    expect(await ledger(h).projectTotals(projectId)).toEqual(atPause);
    await h.say(ADMIN_ID, 'status of weather-bot');
    await waitForText(h, /weather-bot/, 15_000, texts(h).length);
  }, 240_000);

  it('Raise for this run: the deploy goes on and the service goes live', async () => {
    // Prepare
    harness = await StackHarness.start(deployEnv);
    const h = harness;
    await deployUntilPaused(h, 2);

    // Act
    const before = texts(h).length;
    await h.press(ADMIN_ID, button(h, 'Raise for this run'));
    await waitForText(h, /^Raised for this run: the deploy goes on\./, 15_000, before);
    await waitForText(h, /needs WEATHER_API_KEY/, 60_000, before);
    await h.say(ADMIN_ID, 'wk_live_5e6f7a8b9c0d1e2f3a4b');
    const live = await waitForText(h, /is live at/, 120_000, before);

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
