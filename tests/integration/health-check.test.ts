import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';
import { isAlive, killHard } from '../support/pids.ts';

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

  it('tells the owner a killed service is down, redeploys its last good release without anyone asking, and says it is healthy again', async () => {
    // Prepare: built and deployed as the person asks for it
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });
    const h = harness;
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await h.waitForText(ADMIN_ID, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'build it');
    await h.confirm(ADMIN_ID, /^Start building weather-bot\?/);
    await h.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 120_000 });
    await h.say(ADMIN_ID, 'deploy it');
    await h.confirm(ADMIN_ID, /^Deploy weather-bot/);
    await h.waitForText(ADMIN_ID, /needs WEATHER_API_KEY/);
    await h.say(ADMIN_ID, 'wk_live_5e6f7a8b9c0d1e2f3a4b');
    const live = await h.waitForText(ADMIN_ID, /is live at/, { timeoutMs: 120_000 });
    const url = /(http:\/\/127\.0\.0\.1:(\d+))/.exec(live);
    const healthy = await h.stack.scheduler.runNow('health-check');
    expect(healthy).toMatchObject({ ran: true, result: { checked: [{ state: 'healthy' }] } });

    // Act 1: the supervisor dies first (so nothing restarts the app), then the app
    const appsDir = join(h.dataDir, 'servers', 'local', 'apps');
    const [app] = (await readdir(appsDir)).filter((name) => name.startsWith('weather-bot'));
    const appDir = join(appsDir, app ?? '');
    const pidOf = async (file: string) => Number((await readFile(join(appDir, file), 'utf8')).trim());
    const supervisor = await pidOf('supervisor.pid');
    const appPid = await pidOf('app.pid');
    killHard(supervisor);
    killHard(-appPid);
    for (const end = Date.now() + 5000; isAlive(appPid) && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 50));
    await expect(fetch(`${url?.[1]}/health`)).rejects.toThrow();
    const first = await h.stack.scheduler.runNow('health-check');
    const second = await h.stack.scheduler.runNow('health-check');

    // Assess 1: one failure is not news; the second in a row is, once
    expect(first).toMatchObject({ result: { checked: [{ state: 'healthy', consecutiveFailures: 1 }] } });
    expect(second).toMatchObject({ result: { checked: [{ state: 'unhealthy', consecutiveFailures: 2 }] } });
    const down = await h.waitForText(ADMIN_ID, /weather-bot.* is down/);
    expect(down).toContain(`${url?.[1]}/health`);
    const synced = await h.stack.scheduler.runNow('repository-sync');
    expect(synced).toMatchObject({ ran: true, result: { synced: [expect.stringMatching(/^weather-bot-/)] } });
    await h.say(ADMIN_ID, 'status of weather-bot');
    const status = await h.waitForText(ADMIN_ID, /Health of .*: unhealthy/);
    expect(status).toMatch(/2 failed check\(s\) in a row/);
    expect(status).toMatch(
      /Repository \S+\/weather-bot-\w+: main at [0-9a-f]{7} "[^"]+", no open pull requests/,
    );

    // Act 2: nobody does anything: the health check's recovery redeploys the last good release
    const redeployed = await h.waitForText(ADMIN_ID, /is live at/, { timeoutMs: 120_000, nth: 2 });
    expect(redeployed).toContain(url?.[1]);
    expect((await fetch(`${url?.[1]}/health`)).status).toBe(200);
    const back = await h.stack.scheduler.runNow('health-check');

    // Assess 2: healthy on the same URL; the owner was told it went down and that it is back
    expect(back).toMatchObject({ result: { checked: [{ state: 'healthy', consecutiveFailures: 0 }] } });
    await h.waitForText(ADMIN_ID, /weather-bot.* is healthy again: its last good release was deployed again/);
    const deploys = await h.stack.engineering.pipelines.list('devops');
    expect(deploys.map((d) => d.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    expect(h.texts(ADMIN_ID).filter((t) => / is down/.test(t))).toHaveLength(1);
  }, 240_000);
});
