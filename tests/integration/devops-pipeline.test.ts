import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

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

  const texts = (h: StackHarness) => h.replies(ADMIN_ID).map((r) => r.text);

  async function waitForText(h: StackHarness, pattern: RegExp, timeoutMs = 90_000, nth = 1): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = texts(h).filter((t) => pattern.test(t));
      if (found.length >= nth) return found[nth - 1] ?? '';
      if (Date.now() > deadline)
        throw new Error(`no reply matching ${pattern}; got ${JSON.stringify(texts(h))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function confirm(h: StackHarness, question: RegExp, nth = 1): Promise<void> {
    await waitForText(h, question, 30_000, nth);
    const buttons = h.buttons(ADMIN_ID).filter((b) => b.text === 'Confirm');
    await h.press(ADMIN_ID, buttons.at(-1)?.data ?? '');
  }

  async function buildAndDeploy(h: StackHarness, apiKey: string): Promise<string> {
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await waitForText(h, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'build it');
    await confirm(h, /^Start building weather-bot\?/);
    await waitForText(h, /^Built weather-bot/, 120_000);
    await h.say(ADMIN_ID, 'deploy it');
    await confirm(h, /^Deploy weather-bot/);
    // The weather API key is the person's to give: the run asks, and waits for it.
    await waitForText(h, /needs WEATHER_API_KEY/);
    await h.say(ADMIN_ID, apiKey);
    const live = await waitForText(h, /is live at/, 120_000);
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
    expect(texts(harness).join('\n')).not.toContain(apiKey);
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
    await confirm(harness, /^Start building weather-bot\?/, 2);
    await waitForText(harness, /^Built weather-bot/, 120_000, 2);

    // Act
    await harness.say(ADMIN_ID, 'deploy it');
    await confirm(harness, /^Deploy weather-bot/, 2);
    const told = await waitForText(harness, /previous release .* was restored/, 180_000);

    // Assess
    expect(told).toContain(url);
    expect((await fetch(`${url}/health`)).status).toBe(200);
    const deploys = await harness.stack.engineering.pipelines.list('devops');
    expect(deploys.map((d) => d.status).sort()).toEqual(['FAILED', 'SUCCEEDED']);
    const failed = deploys.find((d) => d.status === 'FAILED');
    const history = await harness.stack.engineering.pipelines.history(failed?.runId ?? '');
    const entered = history.filter((e) => e.type.endsWith('StateEntered')).map((e) => e.stateName);
    expect(entered).toContain('Roll back to the previous release');
    expect(entered).toContain('Check the previous release');
    expect(entered.at(-1)).toBe('Rolled back');
  }, 480_000);
});
