import * as z from 'zod';
import { forbidden } from '../../errors.ts';
import { formatUsage } from '../../usage/usage-ledger.ts';
import { defineTool, type ToolContext } from '../agent-tool.ts';

// Checked here as well as by the registry: a model that names an admin tool it was not given
// still cannot use it.
function requireAdmin(context: ToolContext): void {
  if (context.principal.role !== 'admin') throw forbidden('Only an administrator can do that.');
}

export const listUsers = defineTool({
  name: 'list_users',
  description: 'List the people admitted to the bot (admins only).',
  input: z.object({}),
  idempotent: true,
  async run(_input, context) {
    requireAdmin(context);
    const users = await context.services.users.list();
    if (users.length === 0) return { content: 'No admitted users besides the configured admins.' };
    return {
      content: users.map((u) => `${u.userId}${u.displayName ? ` (${u.displayName})` : ''}`).join('\n'),
    };
  },
});

export const listServers = defineTool({
  name: 'list_servers',
  description: 'List deployment servers (admins only).',
  input: z.object({}),
  idempotent: true,
  async run(_input, context) {
    requireAdmin(context);
    return { content: 'No servers are registered: server management arrives with the devops pipeline.' };
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
      return { content: formatUsage('All users this month', await services.usage.overallTotals('month')) };
    }
    return {
      content: formatUsage(
        'Your usage this month',
        await services.usage.userTotals(principal.userId, 'month'),
      ),
    };
  },
});

export const ADMIN_TOOLS = [listUsers, listServers];
export const USAGE_TOOLS = [getUsage];
