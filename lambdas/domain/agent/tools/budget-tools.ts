import * as z from 'zod';
import { invalid } from '../../errors.ts';
import { defineTool } from '../agent-tool.ts';
import { requireAdmin } from './require-admin.ts';

/** Admins set the monthly budget of a person or of a project (in USD of model and engine usage). */
export const setBudget = defineTool({
  name: 'set_budget',
  description:
    'Set the monthly budget, in US dollars of model and engine usage, of a person (their Telegram user ' +
    'id) or of a project (admins only). Turns and runs that reach it ask their owner to raise it or stop.',
  input: z.object({
    person: z.number().int().positive().optional().describe('Telegram user id'),
    project: z.string().min(1).max(80).optional().describe('Project name or id'),
    monthlyUsd: z.number().min(0).max(100_000),
  }),
  idempotent: true,
  async run({ person, project, monthlyUsd }, context) {
    requireAdmin(context);
    const { principal, services } = context;
    if (!services.budgets) throw invalid('Budgets are not configured in this installation.');
    if ((person === undefined) === (project === undefined))
      throw invalid('Name either a person (user id) or a project, not both.');
    if (person !== undefined) {
      await services.budgets.setLimit({ kind: 'person', userId: person }, monthlyUsd, principal.userId);
      return { result: { kind: 'budget_set', scope: 'person', target: String(person), monthlyUsd } };
    }
    const target = await services.projects.get(principal, project ?? '');
    await services.budgets.setLimit({ kind: 'project', projectId: target.id }, monthlyUsd, principal.userId);
    return {
      result: { kind: 'budget_set', scope: 'project', target: target.name, monthlyUsd },
      projectId: target.id,
    };
  },
});
