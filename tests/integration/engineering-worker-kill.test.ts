import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

const run = promisify(execFile);

describe('the engineering pipeline when its worker is killed', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  const until = async (probe: () => Promise<boolean> | boolean, what: string, timeoutMs = 60_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!(await probe())) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  };

  it('fails the step cleanly when the coding worker is killed with SIGKILL, and tells the owner', async () => {
    // Prepare: an engine that works until stopped; its worker is a child process of the stack
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '1', SCRIPTED_ENGINE_HANG: '1' });
    const h = harness;
    const said = (pattern: RegExp) => h.replies(ADMIN_ID).some((r) => pattern.test(r.text));
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await until(() => said(/^Created project weather-bot/), 'the project');
    await h.say(ADMIN_ID, 'build it');
    await until(() => h.buttons(ADMIN_ID).some((b) => b.text === 'Confirm'), 'the question');
    await h.press(ADMIN_ID, h.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '');
    let pids: string[] = [];
    await until(async () => {
      const { stdout } = await run('pgrep', ['-f', `coding-worker/src/main.ts`]).catch(() => ({
        stdout: '',
      }));
      pids = stdout.split('\n').filter(Boolean);
      return pids.length > 0;
    }, 'the coding worker');

    // Act
    for (const pid of pids) process.kill(Number(pid), 'SIGKILL');
    await until(() => said(/^The build of weather-bot-[0-9a-f]{6} failed/), 'the failure message');

    // Assess
    const [summary] = await h.stack.engineering.pipelines.list('engineering');
    await until(
      async () => (await h.stack.engineering.pipelines.describe(summary?.runId ?? '')).status !== 'RUNNING',
      'the run to end',
    );
    expect((await h.stack.engineering.pipelines.describe(summary?.runId ?? '')).status).toBe('FAILED');
    const history = await h.stack.engineering.pipelines.history(summary?.runId ?? '');
    expect(
      history.some((e) => e.type === 'TaskStateEntered' && e.stateName === 'Stop the worker tasks'),
    ).toBe(true);
    expect(h.replies(ADMIN_ID).find((r) => /failed/.test(r.text))?.text).toMatch(/States\.TaskFailed/);
  }, 120_000);
});
