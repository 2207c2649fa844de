import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';
import { afterEach, describe, expect, it } from 'vitest';
import { DynamoDbStore } from '../../lambdas/adapters/aws/dynamodb-store.ts';
import { EncryptedFileSecretStore } from '../../lambdas/adapters/local/encrypted-file-secrets.ts';
import { loadConfig } from '../../lambdas/config/config.ts';
import { SECRET_NAMES } from '../../lambdas/config/secret-names.ts';
import { ProjectRepository } from '../../lambdas/domain/projects/project-repository.ts';
import { startDynalite } from '../../scripts/local-stack/dynalite-server.ts';
import { freePort } from '../../scripts/local-stack/http-util.ts';
import { localLambdaEnv } from '../../scripts/local-stack/local-config.ts';
import { actionsIn, resultsIn, transcriptOf } from '../support/agent-transcript.ts';

const ADMIN = 1001;

/** `npm start`'s program as a child process, started the way the README starts it. */
function startStack(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; exited: Promise<number | null> }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local-stack/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return new Promise((resolve, reject) => {
    let output = '';
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Local stack ready')) resolve({ child, exited });
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then((code) => reject(new Error(`stack exited (${code}) before it was ready:\n${output}`)));
    setTimeout(() => reject(new Error(`stack not ready in 30 s:\n${output}`)), 30_000);
  });
}

async function botTexts(client: TelegramClient, chatId: number): Promise<string[]> {
  const history = (await client.getUpdatesHistory()) as unknown as Array<{
    message: { chat_id?: number | string; text?: string };
  }>;
  return history.filter((r) => String(r.message.chat_id) === String(chatId)).map((r) => r.message.text ?? '');
}

async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What a stopped stack left in its tables: the admin's projects and conversation. */
async function readStoredState(dataDir: string) {
  const dynamo = await startDynalite(join(dataDir, 'dynamodb'));
  try {
    const config = loadConfig(
      localLambdaEnv(
        { ADMIN_TELEGRAM_IDS: String(ADMIN) },
        {
          dataDir,
          dynamoEndpoint: dynamo.endpoint,
          telegramApiRoot: 'http://127.0.0.1:9',
          chatUserId: ADMIN,
        },
      ),
    );
    const store = new DynamoDbStore({ tableNames: config.tableNames, endpoint: dynamo.endpoint });
    return {
      projects: await new ProjectRepository(store).listByOwner(ADMIN),
      messages: await transcriptOf(store, ADMIN),
    };
  } finally {
    await dynamo.stop();
  }
}

describe('a killed local stack', () => {
  let dataDir = '';
  const children: ChildProcess[] = [];
  afterEach(async () => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('resumes after kill -9 between a tool call and its checkpoint, without running the call twice', async () => {
    // Prepare: the process SIGKILLs itself right after create_project ran, before the result
    // was recorded; the redelivered message must find the same project, not make a second one
    dataDir = await mkdtemp(join(tmpdir(), 'orchestrator-kill-'));
    const telegramPort = await freePort();
    const env = {
      LOCAL_DATA_DIR: dataDir,
      LOCAL_HTTP_PORT: '0',
      LOCAL_TELEGRAM_PORT: String(telegramPort),
      // Its own Step Functions port: another stack (a parallel test, a developer's npm start) may hold 3001.
      LOCAL_SFN_PORT: String(await freePort()),
      ADMIN_TELEGRAM_IDS: String(ADMIN),
      LOCAL_QUEUE_VISIBILITY_SECONDS: '2',
      CONVERSATION_LEASE_SECONDS: '2',
    };
    const first = await startStack({
      ...env,
      FAULT_INJECTION: 'after-tool-executed:create_project',
      FAULT_INJECTION_MODE: 'kill',
    });
    children.push(first.child);
    const token = await new EncryptedFileSecretStore({ dir: join(dataDir, 'secrets') }).get(
      SECRET_NAMES.botToken,
    );
    const client = new TelegramClient(`http://127.0.0.1:${telegramPort}`, token, {
      userId: ADMIN,
      chatId: ADMIN,
    });

    // Act: the message kills the process
    await client.sendMessage(client.makeMessage('create project recipe-bot: recipes'));
    const exitCode = await Promise.race([
      first.exited,
      new Promise((r) => setTimeout(() => r('alive'), 20_000)),
    ]);

    // ... and a new process on the same data picks the conversation up
    const second = await startStack(env);
    children.push(second.child);
    await waitFor(async () => ((await botTexts(client, ADMIN)).length >= 1 ? true : undefined), 30_000);
    await client.sendMessage(client.makeMessage('list my projects'));
    const replies = await waitFor(async () => {
      const texts = await botTexts(client, ADMIN);
      return texts.length >= 2 ? texts : undefined;
    }, 30_000);
    second.child.kill('SIGINT');
    const stopped = await second.exited;
    const stored = await readStoredState(dataDir);

    // Assess: one project, made by one create_project call, and one reply to each message
    expect(exitCode).toBeNull(); // killed by a signal, not exited
    expect(stopped).toBe(0);
    expect(replies).toHaveLength(2);
    expect(stored.projects.map((p) => p.name)).toEqual(['recipe-bot']);
    expect(actionsIn(stored.messages).map((c) => c.name)).toEqual(['create_project', 'list_projects']);
    const listed = resultsIn(stored.messages).find((r) => r.kind === 'projects_listed');
    expect(listed?.kind === 'projects_listed' && listed.projects.map((p) => p.name)).toEqual(['recipe-bot']);
  });
});
