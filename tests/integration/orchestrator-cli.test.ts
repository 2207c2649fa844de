import { execFile } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { StackHarness } from '../support/local-stack-harness.ts';

interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * The `orchestrator` CLI (bin/orchestrator.mjs) as a person runs it, against the local stack: it
 * finds the API's URL and the local admin's key in the data dir, with no other setup.
 */
describe('orchestrator CLI on the local stack', () => {
  let h: StackHarness;

  function cli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
    const { ORCHESTRATOR_URL: _u, ORCHESTRATOR_API_KEY: _k, ...inherited } = process.env;
    return new Promise((resolve) => {
      execFile(
        process.execPath,
        ['bin/orchestrator.mjs', ...args],
        { env: { ...inherited, LOCAL_DATA_DIR: h.dataDir, ...env }, timeout: 240_000 },
        (error, stdout, stderr) => {
          const code = error ? Number((error as { code?: unknown }).code ?? 1) : 0;
          resolve({ code, stdout, stderr });
        },
      );
    });
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
