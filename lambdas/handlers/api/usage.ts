import * as z from 'zod';
import { requireAdmin, route } from './route-support.ts';

export const USAGE_ROUTES = [
  route({
    method: 'GET',
    path: '/usage',
    operationId: 'getUsage',
    summary: 'Model tokens and estimated cost: the caller’s, or (admins) everyone’s',
    tag: 'usage',
    query: z.object({
      scope: z.enum(['mine', 'all']).default('mine'),
      period: z.enum(['month', 'all']).default('month'),
    }),
    responses: { 200: { description: 'Totals for the scope and period', schema: 'Usage' } },
    async handle({ auth, query }, services) {
      if (query.scope === 'all') requireAdmin(auth);
      const totals =
        query.scope === 'all'
          ? await services.usage.overallTotals(query.period)
          : await services.usage.userTotals(auth.principal.userId, query.period);
      return { status: 200, body: { scope: query.scope, period: query.period, totals } };
    },
  }),
];
