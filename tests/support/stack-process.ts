import { type ChildProcess, spawn } from 'node:child_process';
import type { TelegramClient } from 'telegram-test-api/lib/modules/telegramClient.js';

/** `npm start`'s program as a child process in its own process group, started as the README starts it. */
export function startStackProcess(
  env: NodeJS.ProcessEnv,
): Promise<{ child: ChildProcess; exited: Promise<number | null>; output: () => string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/local-stack/main.ts'], {
    env: { ...process.env, ...env },
    stdio: ['pipe', 'pipe', 'pipe'],
    detached: true,
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  let output = '';
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Local stack ready')) resolve({ child, exited, output: () => output });
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    void exited.then((code) => reject(new Error(`stack exited (${code}) before it was ready:\n${output}`)));
    setTimeout(() => reject(new Error(`stack not ready in 30 s:\n${output}`)), 30_000);
  });
}

/** kill -9 of the whole process group, as an operator's `kill -9 -<pgid>` or an OOM would. */
export function killGroup(child: ChildProcess): void {
  if (child.pid !== undefined && child.exitCode === null) {
    try {
      process.kill(-child.pid, 'SIGKILL');
    } catch {
      child.kill('SIGKILL');
    }
  }
}

/** Texts the bot sent to a chat, as the Bot API emulator stored them. */
export async function botTexts(client: TelegramClient, chatId: number): Promise<string[]> {
  const history = (await client.getUpdatesHistory()) as unknown as Array<{
    message: { chat_id?: number | string; text?: string };
  }>;
  return history.filter((r) => String(r.message.chat_id) === String(chatId)).map((r) => r.message.text ?? '');
}

export async function waitFor<T>(probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 100));
  }
}
