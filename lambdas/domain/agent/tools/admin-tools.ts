import * as z from 'zod';
import { verifyBotToken } from '../../chat-secrets/bot-token-verifier.ts';
import { serverIdFor } from '../../deploys/server.ts';
import { DomainError, invalid, notFound } from '../../errors.ts';
import type { AgentServices } from '../agent-services.ts';
import { defineTool } from '../agent-tool.ts';
import { poolBotFacts, serverFacts } from '../resource-facts.ts';
import { admittedUsers } from '../tool-results.ts';
import { setBudget } from './budget-tools.ts';
import { requireAdmin } from './require-admin.ts';

function need<K extends 'servers' | 'botPool' | 'botLookup'>(services: AgentServices, name: K) {
  const service = services[name];
  if (!service) throw invalid('Deployment resources are not configured in this installation.');
  return service as NonNullable<AgentServices[K]>;
}

// Secrets never travel as tool arguments: arguments are journaled and kept in the transcript.
// The admin pastes the key or token in the chat, the intake deletes the message and stashes the
// value, and the tool gets the stash's reference.
const secretRef = z
  .string()
  .max(32)
  .describe('The ref of the secret the admin pasted (it appears as [secret:<ref> ...] in their message)');

export const listUsers = defineTool({
  name: 'list_users',
  description: 'List the people admitted to the bot (admins only).',
  input: z.object({}),
  idempotent: true,
  async run(_input, context) {
    requireAdmin(context);
    const users = await context.services.users.list();
    return { result: { kind: 'users_listed', users: admittedUsers(users) } };
  },
});

export const listServers = defineTool({
  name: 'list_servers',
  description: 'List deployment servers and how many projects each hosts (admins only).',
  input: z.object({}),
  idempotent: true,
  async run(_input, context) {
    requireAdmin(context);
    const servers = need(context.services, 'servers');
    const listed = await servers.list();
    const facts = await Promise.all(
      listed.map(async (s) => serverFacts(s, (await servers.projectsOn(s.id)).length)),
    );
    return { result: { kind: 'servers_listed', servers: facts } };
  },
});

export const addServer = defineTool({
  name: 'add_server',
  description:
    'Register a deployment server reached over SSH (admins only). The admin first pastes the SSH private ' +
    'key in the chat; pass its ref as secretRef. Never put a key in any argument.',
  input: z.object({
    host: z.string().min(1).max(253),
    user: z.string().min(1).max(32).describe('SSH user'),
    sshPort: z.number().int().optional(),
    ports: z.object({ from: z.number().int(), to: z.number().int() }).optional().describe('Ports for apps'),
    baseDir: z
      .string()
      .max(200)
      .optional()
      .describe('Apps directory on the server, default /srv/orchestrator'),
    secretRef,
  }),
  // Keyed by the idempotency key: a replay finds the server this call added.
  idempotent: true,
  async run(input, context) {
    requireAdmin(context);
    const { principal, services, idempotencyKey } = context;
    const servers = need(services, 'servers');
    const add = (sshKey: string) =>
      servers.add(
        {
          host: input.host,
          sshUser: input.user,
          ...(input.sshPort !== undefined ? { sshPort: input.sshPort } : {}),
          ...(input.ports ? { portRange: input.ports } : {}),
          ...(input.baseDir ? { baseDir: input.baseDir } : {}),
          sshKey,
        },
        idempotencyKey,
      );
    try {
      const server = await services.vault.claim(principal, input.secretRef, add);
      return { result: { kind: 'server_added', server: serverFacts(server, 0) } };
    } catch (error) {
      // A replay after the stash was claimed: the server this very call added is the answer.
      const id = serverIdFor(input.host);
      if (!(error instanceof DomainError && error.code === 'not_found')) throw error;
      if (!(await servers.addedBy(id, idempotencyKey))) throw error;
      const server = await servers.get(id);
      if (!server) throw error;
      return { result: { kind: 'server_added', server: serverFacts(server, 0) } };
    }
  },
});

export const removeServer = defineTool({
  name: 'remove_server',
  description: 'Remove a deployment server and its SSH key (admins only); refused while projects run on it.',
  input: z.object({ server: z.string().min(1).max(80).describe('Server id') }),
  idempotent: true,
  async confirmation({ server }, context) {
    requireAdmin(context);
    const found = await need(context.services, 'servers').get(server);
    if (!found) throw notFound(`Server "${server}"`);
    return `Remove server ${found.id} (${found.host})? Its SSH key is deleted.`;
  },
  async run({ server }, context) {
    requireAdmin(context);
    const removed = await need(context.services, 'servers').remove(server);
    return { result: { kind: 'server_removed', serverId: removed.id, host: removed.host } };
  },
});

export const addPoolBot = defineTool({
  name: 'add_pool_bot',
  description:
    'Add a Telegram bot to the pool given to projects that need a bot and bring none (admins only). The ' +
    'admin first pastes the bot token in the chat; pass its ref as secretRef.',
  input: z.object({ secretRef }),
  idempotent: true,
  async run({ secretRef: ref }, context) {
    requireAdmin(context);
    const { principal, services } = context;
    const pool = need(services, 'botPool');
    const lookup = need(services, 'botLookup');
    const bot = await services.vault.claim(principal, ref, async (token) => {
      const check = await verifyBotToken(token.trim(), lookup);
      if (!check.ok) throw invalid(`The bot was not added: ${check.reason}.`);
      return pool.add(token, check.username);
    });
    return { result: { kind: 'pool_bot_added', bot: poolBotFacts(bot) } };
  },
});

export const listBotPool = defineTool({
  name: 'list_bot_pool',
  description: 'List the pool bots and which project holds each (admins only).',
  input: z.object({}),
  idempotent: true,
  async run(_input, context) {
    requireAdmin(context);
    const bots = await need(context.services, 'botPool').list();
    return { result: { kind: 'bot_pool_listed', bots: bots.map(poolBotFacts) } };
  },
});

export const removePoolBot = defineTool({
  name: 'remove_pool_bot',
  description:
    'Remove a bot from the pool and delete its token (admins only); refused while a project holds it.',
  input: z.object({ bot: z.string().min(1).max(40).describe('Bot id or @username') }),
  idempotent: true,
  async run({ bot }, context) {
    requireAdmin(context);
    const pool = need(context.services, 'botPool');
    const wanted = bot.replace(/^@/, '').toLowerCase();
    const found = (await pool.list()).find((b) => b.id === wanted || b.username.toLowerCase() === wanted);
    if (!found) throw notFound(`Pool bot "${bot}"`);
    const removed = await pool.remove(found.id);
    return { result: { kind: 'pool_bot_removed', botId: removed.id, username: removed.username } };
  },
});

export const getUsage = defineTool({
  name: 'get_usage',
  description: 'Model token usage and estimated cost: the person’s own, or (admins) everyone’s.',
  input: z.object({ scope: z.enum(['mine', 'all']).optional() }),
  idempotent: true,
  async run({ scope }, context) {
    const { principal, services } = context;
    if (scope === 'all') {
      requireAdmin(context);
      const totals = await services.usage.overallTotals('month');
      return { result: { kind: 'usage_report', scope: 'all', totals } };
    }
    const totals = await services.usage.userTotals(principal.userId, 'month');
    // Spend against the person's budget, when budgets are configured.
    const budgets = services.budgets
      ? [await services.budgets.standing({ kind: 'person', userId: principal.userId })]
      : undefined;
    return { result: { kind: 'usage_report', scope: 'mine', totals, ...(budgets ? { budgets } : {}) } };
  },
});

export const ADMIN_TOOLS = [
  listUsers,
  listServers,
  addServer,
  removeServer,
  addPoolBot,
  listBotPool,
  removePoolBot,
  setBudget,
];
export const USAGE_TOOLS = [getUsage];
