import { execFile } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackHarness } from '../support/local-stack-harness.ts';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs bin/orchestrator.mjs against the stack whose data dir is given, as a person would. */
function runCli(dataDir: string, args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  const { ORCHESTRATOR_URL: _u, ORCHESTRATOR_API_KEY: _k, ...inherited } = process.env;
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['bin/orchestrator.mjs', ...args],
      { env: { ...inherited, LOCAL_DATA_DIR: dataDir, ...env }, timeout: 240_000 },
      (error, stdout, stderr) => {
        const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

/**
 * The `orchestrator` CLI (bin/orchestrator.mjs) as a person runs it, against the local stack: it
 * finds the API's URL and the local admin's key in the data dir, with no other setup.
 */
describe('orchestrator CLI on the local stack', () => {
  let h: StackHarness;

  function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    return runCli(h.dataDir, args, env);
  }

  beforeAll(async () => {
    h = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });
  });

  afterAll(async () => {
    await h?.dispose();
  });

  it('new, build, deploy: drives a project to a healthy service and exits 0', async () => {
    // Act
    const created = await cli(['new', 'a quote bot with a quote of the day', '--json']);
    const { project } = JSON.parse(created.stdout) as { project: { id: string; name: string } };
    const build = await cli(['build', project.name]);
    const deploy = await cli(['deploy', project.name, '--json']);

    // Assess
    expect(created.code).toBe(0);
    expect(project.name).toBe('quote-bot');
    expect(build.code, build.stderr).toBe(0);
    expect(build.stdout).toMatch(/^Built quote-bot at [0-9a-f]{7}/);
    // Live progress from the event stream, step by step, on stderr.
    expect(build.stderr).toMatch(/Started eng-quote-bot-[0-9a-f]{6}-1/);
    expect(build.stderr).toMatch(/^ *\d+s {2}\S/m);
    expect(deploy.code, deploy.stderr).toBe(0);
    expect(deploy.stderr).toContain('Deploy the release');
    expect(deploy.stderr).toContain('Check the health');
    const { run } = JSON.parse(deploy.stdout) as { run: { status: string; url: string } };
    expect(run.status).toBe('SUCCEEDED');
    expect(run.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${run.url}/health`)).status).toBe(200);
    const status = await cli(['status', 'quote-bot', '--json']);
    expect(JSON.parse(status.stdout)).toMatchObject({
      project: { status: 'deployed' },
      deploy: { status: 'SUCCEEDED' },
      build: { status: 'SUCCEEDED' },
    });
    const runs = await cli(['runs', 'quote-bot']);
    expect(runs.stdout).toMatch(/dep-quote-bot-\w+-1 +SUCCEEDED/);
  }, 240_000);

  it('exits non-zero with a readable reason when a deploy cannot start', async () => {
    await cli(['new', 'a poem site with a poem of the week', '--name', 'poems']);

    const deploy = await cli(['deploy', 'poems']);

    expect(deploy.code).toBe(1);
    expect(deploy.stderr).toBe('orchestrator: poems has no tested build yet: build it first\n');
    expect(deploy.stdout).toBe('');
  });

  it.each([
    ['a wrong key', ['status', '--key', `oak_0123456789_${'A'.repeat(43)}`], 3, /not known/],
    ['an unknown project', ['status', 'no-such-project'], 4, /not found/],
    ['an unknown command', ['frobnicate'], 2, /unknown command/],
    ['a missing argument', ['build'], 2, /missing required argument/],
    ['an API that is not there', ['status', '--url', 'http://127.0.0.1:9/api'], 5, /Cannot reach the API/],
  ])('exits with the documented code for %s', async (_what, args, code, message) => {
    const result = await cli(args);
    expect(result.code).toBe(code);
    expect(result.stderr).toMatch(message);
  });

  it('prints JSON a script can rely on, errors included', async () => {
    const ok = await cli(['keys', '--json']);
    const failed = await cli(['status', 'no-such-project', '--json']);

    expect(JSON.parse(ok.stdout).keys[0]).toMatchObject({ name: 'local admin (npm start)' });
    expect(JSON.parse(failed.stdout)).toEqual({ error: 'Project "no-such-project" not found', exitCode: 4 });
  });
});

describe('orchestrator CLI answering a run that waits for its owner', () => {
  let h: StackHarness;

  beforeAll(async () => {
    // Three red attempts: the run stops and asks its owner what to do.
    h = await StackHarness.start({ HEARTBEAT_SECONDS: '2', SCRIPTED_ENGINE_FAIL_ATTEMPTS: '3' });
  });

  afterAll(async () => {
    await h?.dispose();
  });

  it('approve --give-up answers it; the followed build ends non-zero, saying it was given up', async () => {
    // Prepare: a build followed in the background until it waits
    await runCli(h.dataDir, ['new', 'a quote bot with a quote of the day']);
    const following = runCli(h.dataDir, ['build', 'quote-bot']);
    let waiting: { runName: string; waitingFor?: string } | undefined;
    for (let i = 0; i < 300 && waiting?.waitingFor !== 'decision'; i++) {
      await sleep(500);
      const status = await runCli(h.dataDir, ['status', 'quote-bot', '--json']);
      waiting = (JSON.parse(status.stdout) as { build?: typeof waiting }).build;
    }
    expect(waiting?.waitingFor).toBe('decision');

    // Act
    const approve = await runCli(h.dataDir, ['approve', waiting?.runName ?? '', '--give-up']);
    const build = await following;
    const again = await runCli(h.dataDir, ['approve', waiting?.runName ?? '']);

    // Assess
    expect(approve.code, approve.stderr).toBe(0);
    expect(approve.stdout).toContain('given up');
    expect(build.stderr).toContain('waiting for your decision: orchestrator approve');
    expect(build.code).toBe(1);
    expect(build.stdout).toMatch(/given_up/);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is not waiting for a decision/);
  }, 240_000);
});
