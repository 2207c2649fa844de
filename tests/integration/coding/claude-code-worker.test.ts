import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createWorker } from '../../../containers/coding-worker/src/worker.ts';
import { createGitCli } from '../../../containers/shared/git.ts';
import { systemClock } from '../../../containers/shared/types.ts';
import { locateClaudeCode } from '../../../lambdas/adapters/coding/claude-code-binary.ts';
import { ClaudeCodeEngine } from '../../../lambdas/adapters/coding/claude-code-engine.ts';
import { type BareRepo, createBareRepo } from '../../support/bare-repo.ts';
import {
  type FakeAnthropicServer,
  finalText,
  startFakeAnthropicServer,
} from '../../support/fake-anthropic-server.ts';
import { tempDirs } from '../../support/temp-dir.ts';
import { fakeBroker, recordingCallbacks, silentLogger } from '../../support/worker-fakes.ts';

// The coding worker with the REAL Claude Code CLI (offline, against the fake Anthropic API) in a
// real clone: what the model writes is committed and pushed, and the token is seen by git only.
const binary = locateClaudeCode(process.env);
const MODEL = 'claude-sonnet-4-5';

describe.skipIf(!binary)(
  'coding worker with the real Claude Code CLI (skipped: CLI not installed; run scripts/install-claude-code.sh)',
  () => {
    let fake: FakeAnthropicServer;
    let repo: BareRepo;
    const dirs = tempDirs();
    beforeAll(async () => {
      fake = await startFakeAnthropicServer();
      repo = await createBareRepo();
    });
    afterAll(async () => {
      await fake.close();
      await repo.close();
    });
    afterEach(() => dirs.cleanup());

    it('commits and pushes what the model wrote, with the token kept from the CLI and the model', async () => {
      // Prepare: the model writes a relative path, so it lands in whatever clone the worker made
      fake.reply(
        {
          content: [
            {
              type: 'tool_use',
              id: 'toolu_01',
              name: 'Write',
              input: { file_path: 'src/hello.mjs', content: "export const hello = 'hi';\n" },
            },
          ],
          stopReason: 'tool_use',
          usage: { input: 500, output: 40 },
        },
        finalText('Added src/hello.mjs exporting a greeting.', { input: 600, output: 20 }),
      );
      const broker = fakeBroker(repo.url);
      const recorded = recordingCallbacks();
      const engine = new ClaudeCodeEngine({
        command: binary!,
        model: MODEL,
        prices: { [MODEL]: { inputPerMTok: 3, outputPerMTok: 15 } },
        // The worker's own environment as ECS would give it, secrets included: they must not pass.
        parentEnv: { PATH: process.env.PATH, GITHUB_TOKEN: 'ghs_worker_env', TASK_TOKEN: 'task-secret' },
        env: {
          HOME: await dirs.make('eng-cc-home-'),
          ANTHROPIC_BASE_URL: fake.baseUrl,
          ANTHROPIC_API_KEY: 'x',
          CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: '1',
        },
      });
      const worker = createWorker({
        engine,
        repositoryAccess: broker.repositoryAccess,
        callbacks: recorded.callbacks,
        git: createGitCli(),
        logger: silentLogger,
        clock: systemClock,
        heartbeatIntervalMs: 200,
      });
      // Act
      const exit = await worker.run({
        runName: 'eng-hello-1-a1',
        projectName: 'hello',
        repository: 'org/hello',
        branch: 'feature/hello',
        spec: 'Export a greeting from src/hello.mjs',
        attempt: 1,
        maxTurns: 5,
      });
      // Assess
      expect(exit, JSON.stringify(recorded.calls.failures)).toBe('succeeded');
      const output = recorded.calls.successes[0] as { commit: string; summary: string; turns: number };
      expect(output).toMatchObject({
        outcome: 'done',
        modelId: MODEL,
        turns: 2,
        cost: { micros: 4200, priced: true },
      });
      expect(repo.git('show', `${output.commit}:src/hello.mjs`)).toBe("export const hello = 'hi';");
      expect(repo.git('log', '-1', '--format=%s', 'feature/hello')).toBe(
        'Added src/hello.mjs exporting a greeting.',
      );
      const sentToModel = JSON.stringify(fake.requests);
      for (const secret of [...broker.issued, 'ghs_worker_env', 'task-secret'])
        expect(sentToModel).not.toContain(secret);
    });
  },
);
