import { describe, expect, it } from 'vitest';
import { AccessControl } from '../../../lambdas/domain/access/access-control.ts';
import type { ToolContext } from '../../../lambdas/domain/agent/agent-tool.ts';
import { productOwnerCapabilities } from '../../../lambdas/domain/agent/capabilities.ts';
import { renderToolResult } from '../../../lambdas/domain/agent/tool-results.ts';
import {
  createApiKey,
  listApiKeys,
  revokeApiKey,
  rotateApiKey,
} from '../../../lambdas/domain/agent/tools/api-key-tools.ts';
import { ApiKeys } from '../../../lambdas/domain/api-keys/api-keys.ts';
import { ADMIN, ALICE } from '../../support/deploy-world.ts';
import { agentWorld } from '../../support/product-owner-world.ts';
import { RecordingChat } from '../../support/recording-chat.ts';

async function setup() {
  const chat = new RecordingChat();
  const world = agentWorld({ chat });
  await world.directory.admit({
    userId: ALICE.userId,
    admittedBy: ADMIN.userId,
    admittedAt: '2026-12-01T00:00:00Z',
  });
  const apiKeys = new ApiKeys(world.store, new AccessControl(new Set([ADMIN.userId]), world.directory));
  const context = (principal: typeof ADMIN): ToolContext => ({
    principal,
    chatId: principal.userId,
    threadId: `chat-${principal.userId}-1`,
    idempotencyKey: 'toolu_1',
    services: {
      projects: world.projects,
      chat,
      vault: world.vault,
      users: world.directory,
      usage: world.usage,
      apiKeys,
    },
  });
  return { chat, apiKeys, context };
}

const SECRET = /oak_[0-9a-f]{10}_[A-Za-z0-9_-]{43}/;

describe('API key tools', () => {
  it('create_api_key sends the secret to the chat in a message of its own, never in its result', async () => {
    // Prepare
    const { chat, apiKeys, context } = await setup();

    // Act
    const outcome = await createApiKey.run({ name: 'ci', ownerId: ALICE.userId }, context(ADMIN));

    // Assess
    const sent = chat.sent.find((m) => SECRET.test(m.text));
    const secret = SECRET.exec(sent?.text ?? '')?.[0] ?? '';
    expect(sent?.chatId).toBe(ADMIN.userId);
    expect(sent?.text).toMatch(/shown once/);
    expect(JSON.stringify(outcome)).not.toMatch(SECRET);
    expect(renderToolResult(outcome.result)).not.toMatch(SECRET);
    expect(outcome.result).toMatchObject({
      kind: 'api_key_issued',
      key: { ownerId: ALICE.userId, name: 'ci' },
    });
    expect(await apiKeys.authenticate(secret)).toMatchObject({ kind: 'valid', principal: ALICE });
  });

  it('rotate_api_key sends the new secret to the chat; the old one stops working', async () => {
    const { chat, apiKeys, context } = await setup();
    const issued = await apiKeys.create(ADMIN, { ownerId: ADMIN.userId, name: 'laptop' });

    const outcome = await rotateApiKey.run({ key: issued.key.id }, context(ADMIN));

    const secret = SECRET.exec(chat.sent.at(-1)?.text ?? '')?.[0] ?? '';
    expect(JSON.stringify(outcome)).not.toMatch(SECRET);
    expect((await apiKeys.authenticate(issued.secret)).kind).toBe('unknown');
    expect((await apiKeys.authenticate(secret)).kind).toBe('valid');
  });

  it('revoke_api_key asks first, then revokes; list_api_keys shows it revoked, with no secret or hash', async () => {
    const { apiKeys, context } = await setup();
    const issued = await apiKeys.create(ADMIN, { ownerId: ALICE.userId, name: 'old' });

    const question = await revokeApiKey.confirmation?.({ key: issued.key.id }, context(ADMIN));
    await revokeApiKey.run({ key: issued.key.id }, context(ADMIN));
    const listed = await listApiKeys.run({}, context(ADMIN));

    expect(question).toMatch(/^Revoke API key [0-9a-f]{10} \("old"\)/);
    expect((await apiKeys.authenticate(issued.secret)).kind).toBe('revoked');
    expect(renderToolResult(listed.result)).toMatch(/"old": user 2002, .*revoked/);
    expect(JSON.stringify(listed)).not.toMatch(/hash|oak_/);
  });

  it.each([
    ['create_api_key', createApiKey, { name: 'x' }],
    ['list_api_keys', listApiKeys, {}],
    ['rotate_api_key', rotateApiKey, { key: '0123456789' }],
    ['revoke_api_key', revokeApiKey, { key: '0123456789' }],
  ])('refuses %s to a user, and sends nothing', async (_name, tool, input) => {
    const { chat, context } = await setup();
    await expect(tool.run(input, context(ALICE))).rejects.toMatchObject({ code: 'forbidden' });
    expect(chat.sent).toEqual([]);
  });

  it('are offered to admins only, in the admin group', () => {
    const registry = productOwnerCapabilities();
    const names = (p: typeof ADMIN) => registry.toolsFor(p, ['admin']).map((t) => t.name);
    expect(names(ADMIN)).toEqual(
      expect.arrayContaining(['create_api_key', 'rotate_api_key', 'revoke_api_key']),
    );
    expect(names(ALICE)).not.toContain('create_api_key');
  });
});
