import * as z from 'zod';
import { invalid, notFound } from '../../errors.ts';
import type { AgentServices } from '../agent-services.ts';
import { defineTool, type ToolContext } from '../agent-tool.ts';
import { requireAdmin } from './require-admin.ts';

function apiKeys(services: AgentServices) {
  if (!services.apiKeys) throw invalid('The admin API is not configured in this installation.');
  return services.apiKeys;
}

const keyId = z
  .string()
  .regex(/^[0-9a-f]{10}$/)
  .describe('The key id (10 hex characters), from list_api_keys');

/**
 * The key's secret goes to the chat in a message of its own, straight from here: never into the
 * tool's result, so the model, the transcript, the checkpoints and the logs never hold it.
 */
async function sendSecret(context: ToolContext, text: string): Promise<void> {
  await context.services.chat.send(
    context.chatId,
    `${text}\n\nThis is shown once: copy it now, then delete this message. It is a password for the admin API.`,
  );
}

export const createApiKey = defineTool({
  name: 'create_api_key',
  description:
    'Create an API key for the admin API and the orchestrator CLI (admins only). It acts as its owner, ' +
    'with their rights. Its secret is sent to the chat directly; you never see it.',
  input: z.object({
    name: z.string().min(1).max(60).describe('What the key is for, e.g. "ci" or "laptop"'),
    ownerId: z
      .number()
      .int()
      .positive()
      .optional()
      .describe('Telegram user id of its owner; default the admin'),
  }),
  // Not repeated after an interruption: a second run would make (and show) a second key.
  idempotent: false,
  async run({ name, ownerId }, context) {
    requireAdmin(context);
    const issued = await apiKeys(context.services).create(context.principal, {
      ownerId: ownerId ?? context.principal.userId,
      name,
    });
    await sendSecret(
      context,
      `API key "${issued.key.name}" (id ${issued.key.id}) for user ${issued.key.ownerId}:\n${issued.secret}`,
    );
    return { result: { kind: 'api_key_issued', key: issued.key, rotated: false } };
  },
});

export const listApiKeys = defineTool({
  name: 'list_api_keys',
  description: 'List API keys: ids, names, owners, whether revoked (admins only). Never their secrets.',
  input: z.object({ ownerId: z.number().int().positive().optional() }),
  idempotent: true,
  async run({ ownerId }, context) {
    requireAdmin(context);
    const keys = await apiKeys(context.services).list(context.principal, ownerId);
    return { result: { kind: 'api_keys_listed', keys } };
  },
});

export const rotateApiKey = defineTool({
  name: 'rotate_api_key',
  description:
    'Give an API key a new secret (admins only): the old one stops working at once. The new secret is sent ' +
    'to the chat directly.',
  input: z.object({ key: keyId }),
  idempotent: false,
  async confirmation({ key }, context) {
    requireAdmin(context);
    const found = (await apiKeys(context.services).list(context.principal)).find((k) => k.id === key);
    if (!found) throw notFound(`API key "${key}"`);
    return `Rotate API key ${found.id} ("${found.name}")? Whatever uses it now stops working until it gets the new secret.`;
  },
  async run({ key }, context) {
    requireAdmin(context);
    const issued = await apiKeys(context.services).rotate(context.principal, key);
    await sendSecret(
      context,
      `New secret of API key "${issued.key.name}" (id ${issued.key.id}):\n${issued.secret}`,
    );
    return { result: { kind: 'api_key_issued', key: issued.key, rotated: true } };
  },
});

export const revokeApiKey = defineTool({
  name: 'revoke_api_key',
  description: 'Revoke an API key for good (admins only): every request with it is refused from now on.',
  input: z.object({ key: keyId }),
  idempotent: true,
  async confirmation({ key }, context) {
    requireAdmin(context);
    const found = (await apiKeys(context.services).list(context.principal)).find((k) => k.id === key);
    if (!found) throw notFound(`API key "${key}"`);
    return `Revoke API key ${found.id} ("${found.name}") of user ${found.ownerId}? This cannot be undone.`;
  },
  async run({ key }, context) {
    requireAdmin(context);
    const revoked = await apiKeys(context.services).revoke(context.principal, key);
    return { result: { kind: 'api_key_revoked', key: revoked } };
  },
});

export const API_KEY_TOOLS = [createApiKey, listApiKeys, rotateApiKey, revokeApiKey];
