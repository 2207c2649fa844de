import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

const run = promisify(execFile);

/**
 * A restart of the local stack in the middle of Developer. The runner is stopped the way a dying
 * process stops it (nothing more is written, the worker is killed); the real-SIGKILL case of the
 * runner itself is tests/integration/pipelines-crash.test.ts.
 */
describe('the engineering pipeline across a restart', () => {
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

  it('finishes a run interrupted during Developer, with no finished state run twice', async () => {
    // Prepare: an engine that works until stopped, so the restart lands inside Developer
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '1', SCRIPTED_ENGINE_HANG: '1' });
    const h = harness;
    const said = (pattern: RegExp) => h.replies(ADMIN_ID).some((r) => pattern.test(r.text));
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await until(() => said(/^Created project weather-bot/), 'the project');
    await h.say(ADMIN_ID, 'build it');
    await until(() => h.buttons(ADMIN_ID).some((b) => b.text === 'Confirm'), 'the question');
    await h.press(ADMIN_ID, h.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '');
    const pipelines = () => h.stack.engineering.pipelines;
    await until(async () => {
      const [summary] = await pipelines().list('engineering');
      const history = summary ? await pipelines().history(summary.runId) : [];
      return (
        history.some((e) => e.type === 'TaskStarted') && history.some((e) => e.stateName === 'Write the code')
      );
    }, 'Developer');

    // Act: stop everything mid-Developer and start again with an engine that finishes
    await h.restart({ SCRIPTED_ENGINE_HANG: undefined });
    await until(() => said(/^Built weather-bot/), 'the success message', 90_000);

    // Assess
    const [summary] = await pipelines().list('engineering');
    expect(summary?.status).toBe('SUCCEEDED');
    const history = await pipelines().history(summary?.runId ?? '');
    const entered = (state: string) =>
      history.filter((e) => e.type === 'TaskStateEntered' && e.stateName === state).length;
    expect(
      ['Tell the owner the build started', 'Write the spec', 'Create the repository', 'Write the code'].map(
        entered,
      ),
    ).toEqual([1, 1, 1, 1]);
    const projectId = (summary?.name ?? '').replace(/^eng-/, '').replace(/-\d+$/, '');
    const { stdout } = await run('git', [
      '--git-dir',
      join(h.dataDir, 'git', 'local', `${projectId}.git`),
      'log',
      '--format=%s',
      'main',
    ]);
    expect(stdout.split('\n').filter((line) => line.startsWith('Scaffold'))).toHaveLength(1);
    expect(h.replies(ADMIN_ID).filter((r) => r.text.startsWith('Built weather-bot'))).toHaveLength(1);
    expect(
      h.replies(ADMIN_ID).filter((r) => r.text.startsWith('The build of weather-bot-55da0d started')),
    ).toHaveLength(1);
  }, 180_000);
});
