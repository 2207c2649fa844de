import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

const run = promisify(execFile);

/** The engineering pipeline end to end on the local stack: offline model, scripted engine. */
describe('engineering pipeline on the local stack', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  async function until(_h: StackHarness, probe: () => boolean, timeoutMs = 60_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!probe()) {
      if (Date.now() > deadline) throw new Error(`timed out; got ${JSON.stringify(_h.texts(ADMIN_ID))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  async function buildIt(h: StackHarness) {
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await h.waitForText(ADMIN_ID, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'build it');
    await h.waitForText(ADMIN_ID, /^Start building weather-bot\?/);
    const confirm = h.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '';
    await h.press(ADMIN_ID, confirm);
  }

  it('turns "make me ..." and "build it" into a repository whose tests pass on a fresh clone, and says where', async () => {
    // Prepare
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });

    // Act
    await buildIt(harness);
    const built = await harness.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 90_000 });

    // Assess: the link is the local git host's; a fresh clone has the spec's code and passes its tests
    const url = /(http:\/\/127\.0\.0\.1:\d+\/local\/[a-z0-9-]+)/.exec(built)?.[1] ?? '';
    expect(url).toMatch(/\/local\/weather-bot-[0-9a-f]{6}$/);
    const repoName = url.split('/').at(-1) ?? '';
    const bare = join(harness.dataDir, 'git', 'local', `${repoName}.git`);
    const clone = await mkdtemp(join(tmpdir(), 'built-'));
    try {
      await run('git', ['clone', '--quiet', bare, clone]);
      const spec = await readFile(join(clone, 'docs/spec.md'), 'utf8');
      expect(spec).toContain('daily notifications');
      const contract = JSON.parse(await readFile(join(clone, 'env.contract.json'), 'utf8')) as Array<{
        name: string;
      }>;
      expect(contract.map((v) => v.name)).toContain('PORT');
      await run('npm', ['test'], { cwd: clone });
      await run('npm', ['run', 'lint'], { cwd: clone });
    } finally {
      await rm(clone, { recursive: true, force: true });
    }
    const runs = await harness.stack.engineering.pipelines.list('engineering');
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED']);
    const history = await harness.stack.engineering.pipelines.history(runs[0]?.runId ?? '');
    const tasks = history.filter((e) => e.type === 'TaskStateEntered').map((e) => e.stateName);
    expect(tasks).toEqual([
      'Tell the owner the build started',
      'Check the budget',
      'Write the spec',
      'Create the repository',
      'Check the budget',
      'Write the code',
      'Test on a fresh clone',
      'Record the attempt',
      'Index the project knowledge',
      'Tell the owner it is built',
    ]);
    // The project's knowledge was indexed at the commit that was built (USE lite, under the data dir)
    const indexed = history.find(
      (e) => e.type === 'TaskStateExited' && e.stateName === 'Index the project knowledge',
    );
    const output = JSON.parse(indexed?.output ?? '{}') as {
      knowledge?: { result?: Record<string, unknown> };
    };
    expect(output.knowledge?.result).toMatchObject({ indexed: true, deleted: 0 });
    expect(Number(output.knowledge?.result?.embedded)).toBeGreaterThan(0);
  }, 150_000);

  it('builds a change to a built project on a branch of the same repository, as a pull request', async () => {
    // Prepare: the project is built once
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });
    await buildIt(harness);
    const first = await harness.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 90_000 });

    // Act: build it again
    await harness.say(ADMIN_ID, 'build it');
    await until(harness, () => harness?.buttons(ADMIN_ID).some((b) => b.text === 'Confirm') ?? false);
    await harness.press(ADMIN_ID, harness.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '');
    await until(
      harness,
      () => harness!.texts(ADMIN_ID).filter((t) => t.startsWith('Built weather-bot')).length === 2,
      90_000,
    );

    // Assess: same repository, a branch and a pull request for the change
    const second = harness.texts(ADMIN_ID).filter((t) => t.startsWith('Built weather-bot'))[1] ?? '';
    const repoUrl = /(http:\/\/\S+\/local\/weather-bot-[0-9a-f]{6})/.exec(first)?.[1] ?? '';
    expect(second).toContain(`${repoUrl}/pull/1`);
    const runs = await harness.stack.engineering.pipelines.list('engineering');
    expect(runs.map((r) => r.status)).toEqual(['SUCCEEDED', 'SUCCEEDED']);
    const bare = join(harness.dataDir, 'git', 'local', `${repoUrl.split('/').at(-1)}.git`);
    const { stdout } = await run('git', ['--git-dir', bare, 'branch', '--list']);
    expect(stdout).toContain('change-2');
  }, 240_000);

  it('reworks a red first attempt: two developer tasks, one success message', async () => {
    // Prepare
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2', SCRIPTED_ENGINE_FAIL_ATTEMPTS: '1' });

    // Act
    await buildIt(harness);
    await harness.waitForText(ADMIN_ID, /^Built weather-bot/, { timeoutMs: 120_000 });

    // Assess
    const [runSummary] = await harness.stack.engineering.pipelines.list('engineering');
    const history = await harness.stack.engineering.pipelines.history(runSummary?.runId ?? '');
    const developerTasks = history.filter(
      (e) => e.type === 'TaskStateEntered' && e.stateName === 'Write the code',
    );
    expect(developerTasks).toHaveLength(2);
    expect(harness.texts(ADMIN_ID).filter((t) => t.startsWith('Built weather-bot'))).toHaveLength(1);
    expect(harness.texts(ADMIN_ID).some((t) => /\b2 attempt/.test(t))).toBe(true);
  }, 180_000);
});

describe('engineering pipeline: escalation and failures', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });
  async function buildIt(h: StackHarness) {
    await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
    await h.waitForText(ADMIN_ID, /^Created project weather-bot/);
    await h.say(ADMIN_ID, 'build it');
    await h.waitForText(ADMIN_ID, /^Start building weather-bot\?/);
    await h.press(ADMIN_ID, h.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '');
  }

  it.each([
    { choice: 'Try again', outcome: /^Built weather-bot/, status: 'SUCCEEDED' },
    { choice: 'Give up', outcome: /was given up after 3 red attempts/, status: 'SUCCEEDED' },
  ])(
    'asks the owner after three red attempts; "$choice" is obeyed and the owner told',
    async ({ choice, outcome, status }) => {
      // Prepare: three red attempts, then green
      harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2', SCRIPTED_ENGINE_FAIL_ATTEMPTS: '3' });
      await buildIt(harness);
      await harness.waitForText(ADMIN_ID, /still red after 3 attempts/, { timeoutMs: 150_000 });
      const button = harness.buttons(ADMIN_ID).find((b) => b.text === choice);

      // Act
      await harness.press(ADMIN_ID, button?.data ?? '');
      await harness.waitForText(ADMIN_ID, outcome, { timeoutMs: 150_000 });

      // Assess
      const [summary] = await harness.stack.engineering.pipelines.list('engineering');
      await new Promise((r) => setTimeout(r, 500));
      expect((await harness.stack.engineering.pipelines.describe(summary?.runId ?? '')).status).toBe(status);
      const history = await harness.stack.engineering.pipelines.history(summary?.runId ?? '');
      const developer = history.filter(
        (e) => e.type === 'TaskStateEntered' && e.stateName === 'Write the code',
      );
      expect(developer).toHaveLength(choice === 'Try again' ? 4 : 3);
    },
    300_000,
  );

  it('fails the step cleanly when a worker stops heartbeating, stops it, and tells the owner', async () => {
    // Prepare: heartbeats every 60 s but the state allows 2 s without one (the local definition is
    // the deployed one; HEARTBEAT_SECONDS only sets how often the worker sends them)
    harness = await StackHarness.start({
      HEARTBEAT_SECONDS: '600',
      SCRIPTED_ENGINE_HANG: '1',
      LOCAL_HEARTBEAT_LIMIT_SECONDS: '3',
    });
    await buildIt(harness);

    // Act
    const failed = await harness.waitForText(ADMIN_ID, /^The build of weather-bot-[0-9a-f]{6} failed/, {
      timeoutMs: 120_000,
    });

    // Assess
    expect(failed).toMatch(/Heartbeat|Timeout/);
    const [summary] = await harness.stack.engineering.pipelines.list('engineering');
    expect((await harness.stack.engineering.pipelines.describe(summary?.runId ?? '')).status).toBe('FAILED');
  }, 200_000);
});

describe('engineering pipeline: what it leaves behind', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  it('leaves no repository token and no bot token in histories, tables, logs or any file', async () => {
    // Prepare: record every repository token the git host mints, and everything logged
    harness = await StackHarness.start({ HEARTBEAT_SECONDS: '2' });
    const h = harness;
    const minted: string[] = [];
    const gitHost = h.stack.engineering.gitHost;
    const mint = gitHost.repositoryToken.bind(gitHost);
    gitHost.repositoryToken = async (name, access) => {
      const token = await mint(name, access);
      minted.push(token.token);
      return token;
    };
    const logged: string[] = [];
    const capture = (chunk: unknown) => {
      logged.push(String(chunk));
      return true;
    };
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(capture);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(capture);
    try {
      // Act
      await h.say(ADMIN_ID, 'make me a weather bot with daily notifications');
      await waitFor(() => h.replies(ADMIN_ID).some((r) => r.text.startsWith('Created project')));
      await h.say(ADMIN_ID, 'build it');
      await waitFor(() => h.buttons(ADMIN_ID).some((b) => b.text === 'Confirm'));
      await h.press(ADMIN_ID, h.buttons(ADMIN_ID).find((b) => b.text === 'Confirm')?.data ?? '');
      await waitFor(() => h.replies(ADMIN_ID).some((r) => r.text.startsWith('Built weather-bot')), 90_000);
      await h.settle();
    } finally {
      stdout.mockRestore();
      stderr.mockRestore();
    }
    const [run] = await h.stack.engineering.pipelines.list('engineering');
    const history = JSON.stringify(await h.stack.engineering.pipelines.history(run?.runId ?? ''));
    const tables = JSON.stringify(
      await Promise.all(
        (['sessions', 'projects', 'checkpoints', 'dedup', 'usage'] as const).map((t) => h.scan(t)),
      ),
    );
    await h.stack.stop();

    // Assess
    expect(minted.length).toBeGreaterThanOrEqual(3);
    const secrets = [...minted, h.stack.botToken];
    const files = await readdir(h.dataDir, { withFileTypes: true, recursive: true });
    for (const secret of secrets) {
      expect(history).not.toContain(secret);
      expect(tables).not.toContain(secret);
      expect(logged.join('')).not.toContain(secret);
      for (const file of files.filter((f) => f.isFile())) {
        const path = join(file.parentPath, file.name);
        // The Bot API emulator's own state plays Telegram's servers, which know the bot's token.
        if (secret === h.stack.botToken && path.includes('/telegram/')) continue;
        expect((await readFile(path)).includes(Buffer.from(secret)), path).toBe(false);
      }
    }
  }, 150_000);
});

async function waitFor(probe: () => boolean, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!probe()) {
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
