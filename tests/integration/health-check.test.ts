import { execFile } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

const run = promisify(execFile);

/**
 * The health-check job on the local stack: a service the devops pipeline deployed dies (its
 * supervisor and its app killed), the job notices over two runs and the owner is told it is down;
 * the service is started again by its supervisor and the next run tells the owner it is back.
 */
describe('health checks of deployed services on the local stack', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  const texts = (h: StackHarness) => h.replies(ADMIN_ID).map((r) => r.text);

  async function waitForText(h: StackHarness, pattern: RegExp, timeoutMs = 60_000, nth = 1): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = texts(h).filter((t) => pattern.test(t))[nth - 1];
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no reply matching ${pattern}; got ${JSON.stringify(texts(h))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function confirm(h: StackHarness, question: RegExp): Promise<void> {
    await waitForText(h, question, 30_000);
    const buttons = h.buttons(ADMIN_ID).filter((b) => b.text === 'Confirm');
    await h.press(ADMIN_ID, buttons.at(-1)?.data ?? '');
  }

  const alive = (pid: number) => {
    try {
      process.kill(pid, 0);
      return true;
    } catch {
      return false;
    }
  };

  /** SIGKILL, for a process (or, negative, a group) that may already be gone. */
  const kill = (pid: number) => {
    try {
      process.kill(pid, 'SIGKILL');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
    }
  };

  it('tells the owner a killed service is down, redeploys its last good release without anyone asking, and says it is healthy again', async () => {
    // Prepare: built and deployed as the person asks for it
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });
    const h = harness;
    // A first message of its own shifts the update ids, so the project id (and so its port) is not
    // the one other devops tests on this machine deploy to at the same time.
    await h.say(ADMIN_ID, 'list my projects');
    await waitForText(h, /no projects yet/);
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await waitForText(h, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'build it');
    await confirm(h, /^Start building weather-bot\?/);
    await waitForText(h, /^Built weather-bot/, 120_000);
    await h.say(ADMIN_ID, 'deploy it');
    await confirm(h, /^Deploy weather-bot/);
    await waitForText(h, /needs WEATHER_API_KEY/);
    await h.say(ADMIN_ID, 'wk_live_5e6f7a8b9c0d1e2f3a4b');
    const live = await waitForText(h, /is live at/, 120_000);
    const url = /(http:\/\/127\.0\.0\.1:(\d+))/.exec(live);
    const port = url?.[2] ?? '';
    const healthy = await h.stack.scheduler.runNow('health-check');
    expect(healthy).toMatchObject({ ran: true, result: { checked: [{ state: 'healthy' }] } });

    // Act 1: the supervisor dies first (so nothing restarts the app), then the app
    const appsDir = join(h.dataDir, 'servers', 'local', 'apps');
    const [app] = (await readdir(appsDir)).filter((name) => name.startsWith('weather-bot'));
    const appDir = join(appsDir, app ?? '');
    const pidOf = async (file: string) => Number((await readFile(join(appDir, file), 'utf8')).trim());
    const supervisor = await pidOf('supervisor.pid');
    const appPid = await pidOf('app.pid');
    kill(supervisor);
    kill(-appPid);
    for (const end = Date.now() + 5000; alive(appPid) && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${url?.[1]}/health`)).rejects.toThrow();
    const first = await h.stack.scheduler.runNow('health-check');
    const second = await h.stack.scheduler.runNow('health-check');

    // Assess 1: one failure is not news; the second in a row is, once
    expect(first).toMatchObject({ result: { checked: [{ state: 'healthy', consecutiveFailures: 1 }] } });
    expect(second).toMatchObject({ result: { checked: [{ state: 'unhealthy', consecutiveFailures: 2 }] } });
    const down = await waitForText(h, /weather-bot.* is down/);
    expect(down).toContain(`${url?.[1]}/health`);
    const synced = await h.stack.scheduler.runNow('repository-sync');
    expect(synced).toMatchObject({ ran: true, result: { synced: [expect.stringMatching(/^weather-bot-/)] } });
    await h.say(ADMIN_ID, 'status of weather-bot');
    const status = await waitForText(h, /Health of .*: unhealthy/);
    expect(status).toMatch(/2 failed check\(s\) in a row/);
    expect(status).toMatch(
      /Repository \S+\/weather-bot-\w+: main at [0-9a-f]{7} "[^"]+", no open pull requests/,
    );

    // Act 2: nobody does anything: the health check's recovery redeploys the last good release
    const redeployed = await waitForText(h, /is live at/, 120_000, 2);
    expect(redeployed).toContain(url?.[1]);
    expect((await fetch(`${url?.[1]}/health`)).status).toBe(200);
    const back = await h.stack.scheduler.runNow('health-check');

    // Assess 2: healthy on the same URL; the owner was told it went down and that it is back
    expect(back).toMatchObject({ result: { checked: [{ state: 'healthy', consecutiveFailures: 0 }] } });
    await waitForText(h, /weather-bot.* is healthy again: its last good release was deployed again/);
    const deploys = await h.stack.engineering.pipelines.list('devops');
    expect(deploys.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(texts(h).filter((t) => / is down/.test(t))).toHaveLength(1);
  }, 240_000);
});
