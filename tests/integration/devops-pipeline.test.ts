import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

const run = promisify(execFile);

/**
 * The devops pipeline end to end on the local stack: offline model, scripted engine, the real
 * deployer (ansible-playbook, connection local) deploying to the local server directory.
 */
describe('devops pipeline on the local stack', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  async function buildAndDeploy(h: StackHarness, apiKey: string): Promise<string> {
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await h.waitForText(ADMIN_ID, /^Created project weather-bot/, { timeoutMs: 90_000 });
    await h.say(ADMIN_ID, 'build it');
    await h.confirm(ADMIN_ID, /^Start building weather-bot\?/);
    await h.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 120_000 });
    await h.say(ADMIN_ID, 'deploy it');
    await h.confirm(ADMIN_ID, /^Deploy weather-bot/);
    // The weather API key is the person's to give: the run asks, and waits for it.
    await h.waitForText(ADMIN_ID, /needs WEATHER_API_KEY/, { timeoutMs: 90_000 });
    await h.say(ADMIN_ID, apiKey);
    const live = await h.waitForText(ADMIN_ID, /is live at/, { timeoutMs: 120_000 });
    return /(http:\/\/127\.0\.0\.1:\d+)/.exec(live)?.[1] ?? '';
  }

  it('deploys the built project, asks for the missing secret, and sends a URL that answers', async () => {
    // Prepare
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });
    const apiKey = 'wk_live_7f3a9c2e5b8d1f4a6c0e9b2d';

    // Act
    const url = await buildAndDeploy(harness, apiKey);

    // Assess: the URL answers, the deploy went through every state once, the secret is nowhere
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const health = await fetch(`${url}/health`);
    expect(health.status).toBe(200);
    const [deploy] = await harness.stack.engineering.pipelines.list('devops');
    expect(deploy?.status).toBe('SUCCEEDED');
    const history = await harness.stack.engineering.pipelines.history(deploy?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered).toEqual([
      'Tell the owner the deploy started',
      'Check the budget',
      'Within the budget?',
      'Classify the variables',
      'Prepare the secrets',
      'Is a secret missing?',
      'Ask the owner for a secret',
      'Prepare the secrets',
      'Is a secret missing?',
      'Allocate a server and a port',
      'Describe the deploy',
      'Deploy the release',
      'Check the health',
      'Record the release',
      'Tell the owner it is live',
      'Deployed',
    ]);
    await harness.settle();
    const tables = JSON.stringify(
      await Promise.all(
        (['sessions', 'projects', 'checkpoints', 'dedup', 'usage'] as const).map((t) => harness!.scan(t)),
      ),
    );
    const histories = JSON.stringify(
      await Promise.all(
        [
          ...(await harness.stack.engineering.pipelines.list('engineering')),
          ...(await harness.stack.engineering.pipelines.list('devops')),
        ].map((r) => harness!.stack.engineering.pipelines.history(r.runId)),
      ),
    );
    expect(tables).not.toContain(apiKey);
    expect(histories).not.toContain(apiKey);
    expect(harness.texts(ADMIN_ID).join('\n')).not.toContain(apiKey);
    const dataDir = harness.dataDir;
    await harness.stack.stop();
    const files = await readdir(dataDir, { withFileTypes: true, recursive: true });
    const holding: string[] = [];
    for (const file of files.filter((f) => f.isFile())) {
      const path = join(file.parentPath, file.name);
      if ((await readFile(path)).includes(Buffer.from(apiKey))) holding.push(path.slice(dataDir.length));
    }
    // Only the deployed app's own .env on the server holds it (mode 0600, written by the deployer).
    expect(holding).toEqual([
      expect.stringMatching(/^\/servers\/local\/apps\/weather-bot[^/]*\/shared\/\.env$/),
    ]);
  }, 300_000);

  it('rolls back a release that fails its smoke test: the previous release still answers, and the person is told', async () => {
    // Prepare: deployed once; the change's project passes its tests but exits when started
    harness = await StackHarness.start({
      HEARTBEAT_SECONDS: '2',
      SCRIPTED_ENGINE_BROKEN_START_BRANCH: 'change-2',
    });
    const url = await buildAndDeploy(harness, 'wk_live_0a1b2c3d4e5f6a7b8c9d');
    await harness.say(ADMIN_ID, 'build it');
    await harness.confirm(ADMIN_ID, /^Start building weather-bot\?/, { nth: 2 });
    await harness.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 120_000, nth: 2 });

    // Act
    await harness.say(ADMIN_ID, 'deploy it');
    await harness.confirm(ADMIN_ID, /^Deploy weather-bot/, { nth: 2 });
    const told = await harness.waitForText(ADMIN_ID, /previous release .* was restored/, {
      timeoutMs: 180_000,
    });

    // Assess
    expect(told).toContain(url);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const deploys = await harness.stack.engineering.pipelines.list('devops');
    expect(deploys.map((d) => d.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    const failed = deploys.find((d) => d.status === 'FAILED');
    const history = await harness.stack.engineering.pipelines.history(failed?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    // The new release was switched in and started; its smoke test failed, after its retries.
    expect(
      entered.slice(entered.indexOf('Deploy the release'), entered.indexOf('Describe the rollback')),
    ).toEqual(['Deploy the release', 'Check the health']);
    expect(
      history.filter((e) => e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed').length,
    ).toBeGreaterThan(1);
    expect(entered).toContain('Roll back to the previous release');
    expect(entered).toContain('Check the previous release');
    expect(entered.at(-1)).toBe('Rolled back');
  }, 480_000);

  it('fails the deploy cleanly when its deployer is killed: the previous release keeps serving, and the person is told', async () => {
    // Prepare: deployed once, then a second (good) build to deploy
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });
    const h = harness;
    const url = await buildAndDeploy(h, 'wk_live_9f8e7d6c5b4a39281706');
    const firstRelease = (await h.stack.engineering.pipelines.list('devops'))[0];
    await h.say(ADMIN_ID, 'build it');
    await h.confirm(ADMIN_ID, /^Start building weather-bot\?/, { nth: 2 });
    await h.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 120_000, nth: 2 });

    // Act: the deployer process dies with SIGKILL while it deploys
    await h.say(ADMIN_ID, 'deploy it');
    await h.confirm(ADMIN_ID, /^Deploy weather-bot/, { nth: 2 });
    const deployer = await until(async () => {
      const { stdout } = await run('pgrep', ['-P', String(process.pid), '-f', 'deployer/src/main.ts']).catch(
        () => ({ stdout: '' }),
      );
      return stdout.trim().split('\n').filter(Boolean)[0];
    });
    process.kill(Number(deployer), 'SIGKILL');
    const told = await h.waitForText(ADMIN_ID, /The deploy of weather-bot.* (failed|was restored)/, {
      timeoutMs: 120_000,
      nth: 1,
    });

    // Assess
    expect(told).toMatch(/failed/);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const deploys = await h.stack.engineering.pipelines.list('devops');
    const failed = deploys.find((d) => d.runId !== firstRelease?.runId);
    expect(failed?.status).toBe('FAILED');
    const history = await h.stack.engineering.pipelines.history(failed?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered).toContain('Stop the deploy task');
    expect(entered).toContain('Roll back to the previous release');
  }, 480_000);
});

describe('devops pipeline: a secret that never comes', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  it('ends the wait with a clear message naming the secret, and frees the chat', async () => {
    // Prepare: waits on a person last 4 s here instead of 24 h
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2', LOCAL_HUMAN_WAIT_LIMIT_SECONDS: '4' });
    const h = harness;
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await h.waitForText(ADMIN_ID, /^Created project weather-bot/, { timeoutMs: 120_000 });
    await h.say(ADMIN_ID, 'build and deploy it');
    await h.waitForText(ADMIN_ID, /^Start building weather-bot and deploy it/, { timeoutMs: 120_000 });
    await h.press(ADMIN_ID, h.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '');
    await h.waitForText(ADMIN_ID, /needs WEATHER_API_KEY/, { timeoutMs: 120_000 });

    // Act: nothing is sent
    const failed = await h.waitForText(ADMIN_ID, /The deploy of weather-bot.* failed/, {
      timeoutMs: 120_000,
    });

    // Assess: the reason names the secret; the next message is an ordinary message again
    expect(failed).toContain('No value for WEATHER_API_KEY arrived');
    const [deploy] = await h.stack.engineering.pipelines.list('devops');
    expect(deploy?.status).toBe('FAILED');
    await h.say(ADMIN_ID, 'list my projects');
    await h.waitForText(ADMIN_ID, /^Projects \(1\)/, { timeoutMs: 120_000 });
  }, 300_000);
});

async function until<T>(probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 50));
  }
}
