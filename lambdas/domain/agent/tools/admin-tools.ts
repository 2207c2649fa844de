import * as z from 'zod';
import { forbidden } from '../../errors.ts';
import { defineTool, type ToolContext } from '../agent-tool.ts';
import { admittedUsers } from '../tool-results.ts';

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
    return { result: { kind: 'users_listed', users: admittedUsers(users) } };
  },
});

export const listServers = defineTool({
  name: 'list_servers',
  description: 'List deployment servers (admins only).',
  input: z.object({}),
  idempotent: true,
  async run(_input, context) {
    requireAdmin(context);
    return { result: { kind: 'servers_listed', servers: [] } };
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
    return { result: { kind: 'usage_report', scope: 'mine', totals } };
  },
});

export const ADMIN_TOOLS = [listUsers, listServers];
export const USAGE_TOOLS = [getUsage];
