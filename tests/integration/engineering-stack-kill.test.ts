import { type ChildProcess, execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { SFNClient } from '@aws-sdk/client-sfn';
import { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';
import { afterEach, describe, expect, it } from 'vitest';
import { StepFunctionsPipelines } from '../../lambdas/adapters/aws/step-functions-pipelines.ts';
import { EncryptedFileSecretStore } from '../../lambdas/adapters/local/encrypted-file-secrets.ts';
import type { JournalEntry } from '../../lambdas/adapters/local/step-functions/run-store.ts';
import { localStateMachineArn } from '../../lambdas/adapters/local/step-functions/run-store.ts';
import { SECRET_NAMES } from '../../lambdas/config/secret-names.ts';
import type { RunHistoryEvent } from '../../lambdas/ports/pipelines.ts';
import { freePort } from '../../scripts/local-stack/http-util.ts';
import { isAlive } from '../support/pids.ts';
import { killGroup, startStackProcess, waitFor } from '../support/stack-process.ts';

const run = promisify(execFile);
const OWNER = 1001;
const FINISHED_BEFORE_THE_KILL = [
  'Tell the owner the build started',
  'Write the spec',
  'Create the repository',
];

interface BotRecord {
  messageId: number;
  // Records restored from the emulator's files after a restart may lack it.
  message?: {
    chat_id: number | string;
    text?: string;
    reply_markup?: { inline_keyboard?: Array<Array<{ text: string; callback_data?: string }>> };
  };
}

/** Per Task state: how often it was entered and how often its task succeeded. */
function taskCounts(history: RunHistoryEvent[]): Record<string, { entered: number; succeeded: number }> {
  const counts: Record<string, { entered: number; succeeded: number }> = {};
  let current = '';
  for (const event of history) {
    if (event.type === 'TaskStateEntered') {
      current = event.stateName ?? '';
      const count = counts[current] ?? { entered: 0, succeeded: 0 };
      count.entered++;
      counts[current] = count;
    } else if (event.type === 'TaskSucceeded') {
      const count = counts[current];
      if (count) count.succeeded++;
    }
  }
  return counts;
}

/**
 * `npm start`'s program killed with SIGKILL while Developer works, then started again on the same
 * data: the real processes, no in-process restart. The coding worker leads its own process group
 * (an ECS task is its own machine), so the kill of the stack's group leaves it orphaned, as a kill
 * of the npm process alone would.
 */
describe('the local stack under kill -9 during Developer', () => {
  let dataDir = '';
  const children: ChildProcess[] = [];
  const workers: number[] = [];
  afterEach(async () => {
    for (const child of children.splice(0)) killGroup(child);
    for (const pid of workers.splice(0)) {
      try {
        process.kill(-pid, 'SIGKILL');
      } catch {
        // Gone, as it should be.
      }
    }
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it.each([
    // At once: the consumer is still telling the owner the build started (a message in flight).
    { when: 'as Developer is entered', waitForWorker: false },
    // Once the coding worker runs: it is orphaned by the kill.
    { when: 'while the coding worker runs', waitForWorker: true },
  ])(
    'finishes the run killed $when: no finished state run twice, Developer run again once',
    async ({ waitForWorker }) => {
      // Prepare: a stack whose engine works until stopped, so the kill lands inside Developer
      dataDir = await mkdtemp(join(tmpdir(), 'orchestrator-stack-kill-'));
      const [httpPort, telegramPort, sfnPort] = [await freePort(), await freePort(), await freePort()];
      const env = {
        LOCAL_DATA_DIR: dataDir,
        LOCAL_HTTP_PORT: String(httpPort),
        LOCAL_TELEGRAM_PORT: String(telegramPort),
        LOCAL_SFN_PORT: String(sfnPort),
        ADMIN_TELEGRAM_IDS: String(OWNER),
        LLM_INTENT_MODEL: 'offline',
        LLM_AGENT_MODEL: 'offline',
        CODING_ENGINE: 'scripted',
        HEARTBEAT_SECONDS: '1',
      };
      // No heartbeat during the test: a worker cut off from its parent must notice by itself.
      const first = await startStackProcess({ ...env, SCRIPTED_ENGINE_HANG: '1', HEARTBEAT_SECONDS: '600' });
      children.push(first.child);
      const token = await new EncryptedFileSecretStore({ dir: join(dataDir, 'secrets') }).get(
        SECRET_NAMES.botToken,
      );
      const client = new TelegramClient(`http://127.0.0.1:${telegramPort}`, token, {
        userId: OWNER,
        chatId: OWNER,
      });
      const sent = async () =>
        ((await client.getUpdatesHistory()) as unknown as BotRecord[]).filter(
          (r) => String(r.message?.chat_id) === String(OWNER),
        );
      const said = async (pattern: RegExp) => (await sent()).find((r) => pattern.test(r.message?.text ?? ''));
      const pipelines = new StepFunctionsPipelines({
        stateMachineArns: { engineering: localStateMachineArn('engineering'), devops: '' },
        client: new SFNClient({ endpoint: `http://127.0.0.1:${sfnPort}` }),
      });
      await client.sendMessage(client.makeMessage('make me a weather bot with daily notifications'));
      await waitFor(() => said(/^Created project weather-bot/), 30_000);
      await client.sendMessage(client.makeMessage('build it'));
      const question = await waitFor(() => said(/^Start building weather-bot\?/), 30_000);
      const confirm = question.message?.reply_markup?.inline_keyboard
        ?.flat()
        .find((b) => b.text === 'Confirm');
      await client.sendCallback(
        client.makeCallbackQuery(confirm?.callback_data ?? '', {
          message: { message_id: question.messageId, chat: { id: OWNER, type: 'private' } },
        } as never),
      );
      // In "Write the code" (read over the local Step Functions API)...
      const runName = await waitFor(async () => {
        const [summary] = await pipelines.list('engineering');
        const history = summary ? await pipelines.history(summary.runId) : [];
        const developing = history.at(-1)?.type === 'TaskStarted' && taskCounts(history)['Write the code'];
        return developing ? summary?.name : undefined;
      }, 60_000);
      const runFile = join(dataDir, 'stepfunctions', 'runs', 'engineering', `${runName}.json`);
      const journal = async () =>
        (JSON.parse(await readFile(runFile, 'utf8')) as { journal: Record<string, JournalEntry> }).journal;
      // ... and, in the second case, its worker started (its pid journaled).
      if (waitForWorker) {
        await waitFor(async () => {
          const entry = (await journal())['Write the code#1'];
          return entry?.status === 'pending' ? entry.pid : undefined;
        }, 30_000);
        // Well into its work (loaded, cloned, the engine running), not still starting up.
        await new Promise((r) => setTimeout(r, 4_000));
      }

      // Act: kill -9 the stack's process group mid-Developer; start it again, engine now finishing
      killGroup(first.child);
      await first.exited;
      const before = (await journal())['Write the code#1'];
      const orphan = before?.status === 'pending' ? (before.pid ?? 0) : 0;
      if (orphan) workers.push(orphan);
      const orphanAfterKill = orphan > 0 && isAlive(orphan);
      // Before the restart (whose resume would kill it): the orphan stops by itself.
      const orphanStopped = orphan
        ? await waitFor(async () => (isAlive(orphan) ? undefined : true), 10_000).catch(() => false)
        : true;
      const queue = JSON.parse(await readFile(join(dataDir, 'queue', 'queue.json'), 'utf8')) as {
        messages: Array<{ invisibleUntil: number }>;
      };
      const inFlightAtKill = queue.messages.filter((m) => m.invisibleUntil > Date.now()).length;
      const restartedAt = Date.now();
      const second = await startStackProcess(env);
      children.push(second.child);
      // While the run is in Developer again, a report with the token the orphan held is refused.
      const stale = await pipelines
        .sendTaskSuccess(before?.status === 'pending' ? (before.token ?? '') : '', {
          outcome: 'done',
          commit: 'f'.repeat(40),
        })
        .then(
          () => 'accepted',
          (error: unknown) => String((error as { reason?: string }).reason ?? error),
        );
      const built = await waitFor(() => said(/^Built weather-bot/), 60_000).catch((error: unknown) => {
        throw new Error(
          `${String(error)}: no success message in 60 s (${inFlightAtKill} message(s) in flight at the kill); stack said:\n${second.output().slice(-3000)}`,
        );
      });
      const secondsToSuccess = (Date.now() - restartedAt) / 1000;

      // Assess: the orphan stopped by itself; the run succeeded; nothing finished ran twice
      if (waitForWorker) expect(orphanAfterKill).toBe(true);
      expect(orphanStopped).toBe(true);
      expect(stale).toBe('invalid');
      if (inFlightAtKill > 0) expect(second.output()).toContain(`took back ${inFlightAtKill} message(s)`);
      const [summary] = await pipelines.list('engineering');
      expect(summary).toMatchObject({ name: runName, status: 'SUCCEEDED' });
      const counts = taskCounts(await pipelines.history(summary?.runId ?? ''));
      for (const state of FINISHED_BEFORE_THE_KILL) {
        expect({ state, ...counts[state] }).toEqual({ state, entered: 1, succeeded: 1 });
      }
      expect(counts['Write the code']).toEqual({ entered: 1, succeeded: 1 });
      const after = (await journal())['Write the code#1'];
      expect(after).toMatchObject({ status: 'succeeded' });
      expect(after?.token).not.toBe(before?.status === 'pending' ? before.token : undefined);
      // One success message, with a link the restarted git host serves, in well under the old 6 min.
      const texts = (await sent()).map((r) => r.message?.text ?? '');
      expect(
        texts.filter((t) => t.startsWith('Built weather-bot')),
        JSON.stringify(texts),
      ).toHaveLength(1);
      expect(
        texts.filter((t) => t.startsWith('The build of weather-bot')),
        JSON.stringify(texts),
      ).toHaveLength(1);
      const url = /(http:\/\/127\.0\.0\.1:\d+\/local\/weather-bot-[0-9a-f]{6})/.exec(
        built.message?.text ?? '',
      )?.[1];
      const gitHost = /git host:\s+(http:\/\/127\.0\.0\.1:\d+)\/local/.exec(second.output())?.[1];
      expect(url?.startsWith(`${gitHost}/`)).toBe(true);
      expect(secondsToSuccess).toBeLessThan(60);
      // Developer's work landed once: one scaffold commit and one commit of attempt 1 on main.
      const repoName = url?.split('/').at(-1) ?? '';
      const bare = join(dataDir, 'git', 'local', `${repoName}.git`);
      const { stdout: log } = await run('git', ['--git-dir', bare, 'log', '--format=%s%n%b%x00', 'main']);
      const commits = log.split('\0').map((c) => c.trim());
      expect(
        commits.filter((c) => c.startsWith('Scaffold')),
        log,
      ).toHaveLength(1);
      expect(
        commits.filter((c) => c.includes(`Run: ${runName}, attempt 1`)),
        log,
      ).toHaveLength(1);
      // The repository's tests pass on a fresh clone.
      const clone = await mkdtemp(join(tmpdir(), 'stack-kill-clone-'));
      try {
        await run('git', ['clone', '--quiet', bare, clone]);
        await run('npm', ['test'], { cwd: clone });
      } finally {
        await rm(clone, { recursive: true, force: true });
      }
    },
    240_000,
  );
});
