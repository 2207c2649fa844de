import { execFile } from 'node:child_process';
import { readdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

const run = promisify(execFile);

/**
 * Recovery by itself when a redeploy cannot help, on the local stack: the first build's project
 * (branch `main`) keeps a state file in the server's shared data directory and fails its health
 * check for good once that file is corrupt, printing its configuration (the weather API key
 * included) to its log. Redeploying the same release cannot fix that; the owner is offered a fix
 * run with buttons, the engineering pipeline builds the fix on a branch from the failure (the
 * health check's answer and the log tail, the key redacted), the tester passes it, it is deployed
 * and checked, and the owner is told it is healthy again.
 */
describe('a fix run for a deployed service that stays broken, on the local stack', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  const SECRET = 'wk_live_7c8d9e0f1a2b3c4d5e6f';

  it('redeploys, then offers a fix run with buttons; the fix is built on a branch from the redacted failure, deployed and healthy', async () => {
    // Prepare: the first build's branch has the latent fault; built and deployed as the person asks
    harness = await StackHarness.start({
      HEARTBEAT_SECONDS: '2',
      SCRIPTED_ENGINE_STATE_FAULT_BRANCH: 'main',
    });
    const h = harness;
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await h.waitForText(ADMIN_ID, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'build it');
    await h.confirm(ADMIN_ID, /^Start building weather-bot\?/);
    await h.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 120_000 });
    await h.say(ADMIN_ID, 'deploy it');
    await h.confirm(ADMIN_ID, /^Deploy weather-bot/);
    await h.waitForText(ADMIN_ID, /needs WEATHER_API_KEY/);
    await h.say(ADMIN_ID, SECRET);
    const live = await h.waitForText(ADMIN_ID, /is live at/, { timeoutMs: 120_000 });
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(live)?.[1] ?? '';
    expect(await h.stack.scheduler.runNow('health-check')).toMatchObject({
      result: { checked: [{ state: 'healthy' }] },
    });

    // Act 1: the service's state file, in the directory its releases share, becomes corrupt
    const appsDir = join(h.dataDir, 'servers', 'local', 'apps');
    const [app] = (await readdir(appsDir)).filter((name) => name.startsWith('weather-bot'));
    await writeFile(join(appsDir, app ?? '', 'shared', 'data', 'state.json'), '{"starts": 1,');
    expect((await fetch(`${url}/health`)).status).toBe(500);
    await h.stack.scheduler.runNow('health-check');
    await h.stack.scheduler.runNow('health-check');
    const down = await h.waitForText(ADMIN_ID, /weather-bot.* is down/);

    // Assess 1: told it is down; the last good release is deployed again without anyone asking,
    // fails its smoke test, is put back (the same release) and fails again: the deploy failed
    expect(down).toContain(`${url}/health`);
    const failed = await h.waitForText(ADMIN_ID, /The deploy of weather-bot\S* failed: SmokeTestFailed/, {
      timeoutMs: 300_000,
    });
    expect(failed).toContain('answered 500');
    expect(failed).toMatch(
      /Its last good release \([0-9a-f]{7}\) was put back and fails its health check too/,
    );
    const redeploy = (await h.stack.engineering.pipelines.list('devops')).find((d) => d.status === 'FAILED');
    const redeployStates = (await h.stack.engineering.pipelines.history(redeploy?.runId ?? ''))
      .filter((e) => e.type.endsWith('StateEntered'))
      .map((e) => e.stateName);
    expect(redeployStates.slice(-5)).toEqual([
      'Roll back to the previous release',
      'Was there a previous release?',
      'Check the previous release',
      'Tell the owner the restored release fails too',
      'Deploy failed',
    ]);

    // Act 2: the next check sees it still down and offers a fix run; the owner says yes
    await h.stack.scheduler.runNow('health-check');
    const offer = await h.waitForText(ADMIN_ID, /still down after its last good release was deployed again/);
    const fixButtons = h.buttons(ADMIN_ID).filter((b) => b.text === 'Start a fix run');
    await h.press(ADMIN_ID, fixButtons.at(-1)?.data ?? '');
    await h.waitForText(ADMIN_ID, /^Starting a fix run/);
    const fixBuilt = await h.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 180_000, nth: 2 });
    const fixLive = await h.waitForText(ADMIN_ID, /is live at/, { timeoutMs: 180_000, nth: 2 });
    const back = await h.stack.scheduler.runNow('health-check');

    // Assess 2: offered once, with buttons; healthy on the same URL, and the owner is told so
    expect(offer).toContain('answered 500');
    expect(fixBuilt).toContain('tests pass on a clean checkout');
    expect(fixButtons).toHaveLength(1);
    expect(h.texts(ADMIN_ID).filter((t) => /Shall I start a fix run\?/.test(t))).toHaveLength(1);
    expect(fixLive).toContain(url);
    expect(back).toMatchObject({ result: { checked: [{ state: 'healthy', consecutiveFailures: 0 }] } });
    await h.waitForText(
      ADMIN_ID,
      /weather-bot.* is healthy again: the fix run's release is deployed and answers/,
    );
    expect((await fetch(`${url}/health`)).status).toBe(200);

    // Assess 3: the fix run worked from the failure (health answer and log tail, the key redacted)
    const byName = <T extends { name: string }>(runs: T[]) =>
      [...runs].sort((a, b) => a.name.localeCompare(b.name, 'en', { numeric: true }));
    const builds = byName(await h.stack.engineering.pipelines.list('engineering'));
    expect(builds.map((b) => b.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const fixRun = builds[1]?.name ?? '';
    expect(fixRun).toMatch(/^eng-weather-bot-\w+-2$/);
    const projectItems = await h.scan('projects');
    const request = projectItems.find((i) => i.sk === `doc:request:${fixRun}:0`)?.text as string;
    expect(request).toContain('/health answered 500');
    expect(request).toMatch(/state \S+state\.json is unreadable/);
    expect(request).toContain('"WEATHER_API_KEY":"***"');
    expect(request).not.toContain(SECRET);
    const logDocs = projectItems.filter((i) => String(i.sk).startsWith('doc:log:'));
    expect(logDocs).toHaveLength(1);

    // Assess 4: the fix was built on its own branch, and that branch's commit is what serves now
    const deploys = byName(await h.stack.engineering.pipelines.list('devops'));
    expect(deploys.map((d) => d.status)).toEqual(['SUCCEEDED', 'FAILED', 'SUCCEEDED']);
    const deployRecords = projectItems
      .filter((i) => String(i.sk).startsWith('DEPLOY#'))
      .sort((a, b) => Number(a.number) - Number(b.number));
    const fixRecord = projectItems.find((i) => i.sk === `RUN#${fixRun}`);
    const served = deployRecords.at(-1)?.commit;
    expect(served).toBe(fixRecord?.builtCommit);
    expect(deployRecords[1]?.commit).toBe(deployRecords[0]?.commit);
    const gitRoot = join(h.dataDir, 'git');
    const repository = (await readdir(gitRoot, { recursive: true })).find((p) =>
      /weather-bot[^/]*\.git$/.test(p),
    );
    const head = async (branch: string) =>
      (
        await run('git', ['--git-dir', join(gitRoot, repository ?? ''), 'rev-parse', `refs/heads/${branch}`])
      ).stdout.trim();
    expect(await head('change-2')).toBe(served);
    expect(await head('main')).not.toBe(served);

    // Assess 5: the key is in no chat message, no table and no run history
    await h.settle();
    expect(h.texts(ADMIN_ID).join('\n')).not.toContain(SECRET);
    const tables = JSON.stringify(
      await Promise.all(
        (['sessions', 'projects', 'checkpoints', 'dedup', 'usage'] as const).map((t) => h.scan(t)),
      ),
    );
    expect(tables).not.toContain(SECRET);
    const histories = JSON.stringify(
      await Promise.all([...builds, ...deploys].map((r) => h.stack.engineering.pipelines.history(r.runId))),
    );
    expect(histories).not.toContain(SECRET);
  }, 600_000);
});
