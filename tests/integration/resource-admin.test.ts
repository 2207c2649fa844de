import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ProjectRepository } from '../../lambdas/domain/projects/project-repository.ts';
import type { TableName } from '../../lambdas/ports/key-value-store.ts';
import { BOT_TOKEN, SSH_KEY } from '../support/deploy-world.ts';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

/**
 * Servers, the bot pool and project deletion on the local stack: the real wiring, config
 * prefixes, dynalite and the encrypted local secrets, driven through the Bot API emulator.
 */
const ALICE = 2201;
const TABLES: TableName[] = ['users', 'sessions', 'dedup', 'projects', 'checkpoints', 'usage'];
const KEY_BODY = SSH_KEY.split('\n')[1] ?? '';
const TOKEN_SECRET_PART = BOT_TOKEN.split(':')[1] ?? '';

async function sayAndSettle(harness: StackHarness, userId: number, text: string): Promise<string[]> {
  const before = harness.replies(userId).length;
  await harness.say(userId, text);
  await harness.settle();
  return harness
    .replies(userId)
    .slice(before)
    .map((r) => r.text);
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

describe('resource administration on the local stack (offline model)', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  it('registers a server and a pool bot from pasted secrets that end up nowhere but the secrets port', async () => {
    // Prepare
    harness = await StackHarness.start();
    const secrets = harness.stack.runtime.secrets;

    // Act
    await sayAndSettle(harness, ADMIN_ID, SSH_KEY);
    const added = await sayAndSettle(
      harness,
      ADMIN_ID,
      'add server 203.0.113.5 user deploy ports 20000-20009',
    );
    const servers = await sayAndSettle(harness, ADMIN_ID, 'servers');
    await sayAndSettle(harness, ADMIN_ID, BOT_TOKEN);
    const pooled = await sayAndSettle(harness, ADMIN_ID, 'add pool bot');

    // Assess: stored where they belong...
    expect(added.join('\n')).toContain('Added server 203-0-113-5');
    expect(servers.join('\n')).toContain('local: this machine');
    expect(servers.join('\n')).toContain('203-0-113-5: deploy@203.0.113.5:22');
    expect(pooled.join('\n')).toContain('to the bot pool');
    expect(await secrets.get('orchestrator/servers/203-0-113-5/ssh-key')).toBe(`${SSH_KEY}\n`);
    expect(await secrets.get('orchestrator/bot-pool/7000000001/token')).toBe(BOT_TOKEN);
    // ...and nowhere else: no stored item, no reply, no file in the clear
    for (const table of TABLES) {
      const items = JSON.stringify(await harness.scan(table));
      expect(items, table).not.toContain(KEY_BODY);
      expect(items, table).not.toContain(TOKEN_SECRET_PART);
    }
    const replies = JSON.stringify(harness.replies(ADMIN_ID));
    expect(replies).not.toContain(KEY_BODY);
    expect(replies).not.toContain(TOKEN_SECRET_PART);
    await harness.stack.stop();
    for (const file of await filesUnder(harness.dataDir)) {
      const content = await readFile(file);
      expect(content.includes(Buffer.from(KEY_BODY)), file).toBe(false);
      expect(content.includes(Buffer.from(TOKEN_SECRET_PART)), file).toBe(false);
    }
  });

  it('deletes a project once its owner confirms', async () => {
    // Prepare
    harness = await StackHarness.start();
    await sayAndSettle(harness, ADMIN_ID, `/adduser ${ALICE} Alice`);
    await sayAndSettle(harness, ALICE, 'create project shop-bot: a shop');

    // Act
    await sayAndSettle(harness, ALICE, 'delete shop-bot');
    const [confirm] = harness.buttons(ALICE);
    await harness.press(ALICE, confirm?.data ?? '');
    await harness.settle();

    // Assess
    expect(harness.replies(ALICE).at(-1)?.text).toContain('Deleted shop-bot');
    expect(await new ProjectRepository(harness.stack.runtime.store).listByOwner(ALICE)).toEqual([]);
  });
});
