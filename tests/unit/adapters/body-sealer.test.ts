import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { BodySealer } from '../../../lambdas/adapters/local/body-sealer.ts';
import { FileFifoQueue } from '../../../lambdas/adapters/local/file-queue.ts';

const SECRET = '987654321:AAFq3xZbS2mK8rT5vW7yB9nD1cE4gH6jL0p';

describe('BodySealer and the sealed local queue', () => {
  const dirs: string[] = [];
  const tempDir = () => {
    const dir = mkdtempSync(join(tmpdir(), 'sealer-'));
    dirs.push(dir);
    return dir;
  };
  afterEach(() => {
    for (const dir of dirs.splice(0)) rmSync(dir, { recursive: true, force: true });
  });

  it('round-trips a body and refuses one moved to another message', () => {
    // Prepare
    const sealer = BodySealer.fromKeyFile(join(tempDir(), 'queue.key'));

    // Act
    const sealed = sealer.seal(SECRET, 'message-1');

    // Assess
    expect(sealed).not.toContain(SECRET);
    expect(sealer.open(sealed, 'message-1')).toBe(SECRET);
    expect(() => sealer.open(sealed, 'message-2')).toThrow();
  });

  it('keeps the same key across instances and refuses a key file others can read', () => {
    // Prepare
    const file = join(tempDir(), 'queue.key');
    const sealed = BodySealer.fromKeyFile(file).seal('hello', 'm');

    // Act + Assess
    expect(BodySealer.fromKeyFile(file).open(sealed, 'm')).toBe('hello');
    chmodSync(file, 0o644);
    expect(() => BodySealer.fromKeyFile(file)).toThrow('readable by group or others');
  });

  it('stores queue bodies sealed on disk and hands them out in plain text', async () => {
    // Prepare
    const dir = tempDir();
    const queue = new FileFifoQueue({
      dir,
      visibilityTimeoutMs: 1_000,
      maxReceiveCount: 3,
      sealer: BodySealer.fromKeyFile(join(dir, 'queue.key')),
    });

    // Act
    await queue.send({ groupId: 'chat-1', deduplicationId: 'u1', body: `token ${SECRET}` });
    const onDisk = readFileSync(join(dir, 'queue.json'), 'utf8');
    const [received] = await queue.receive({ maxMessages: 1 });
    await queue.close();

    // Assess
    expect(onDisk).not.toContain(SECRET);
    expect(received?.body).toBe(`token ${SECRET}`);
  });
});
