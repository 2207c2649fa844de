import { poolBotFacts, serverFacts } from '../../domain/agent/resource-facts.ts';
import { need, requireAdmin, route } from './route-support.ts';

export const RESOURCE_ROUTES = [
  route({
    method: 'GET',
    path: '/servers',
    operationId: 'listServers',
    summary: 'Deployment servers and how many projects each hosts',
    tag: 'resources',
    adminOnly: true,
    responses: { 200: { description: 'The servers (never their SSH keys)', schema: 'ServerList' } },
    async handle({ auth }, services) {
      requireAdmin(auth);
      const servers = need(services.servers, 'Deployment resources');
      const listed = await servers.list();
      const facts = await Promise.all(
        listed.map(async (s) => serverFacts(s, (await servers.projectsOn(s.id)).length)),
      );
      return { status: 200, body: { servers: facts } };
    },
  }),
  route({
    method: 'GET',
    path: '/bot-pool',
    operationId: 'listBotPool',
    summary: 'The pool bots and which project holds each',
    tag: 'resources',
    adminOnly: true,
    responses: { 200: { description: 'The pool (never its tokens)', schema: 'BotPool' } },
    async handle({ auth }, services) {
      requireAdmin(auth);
      const bots = await need(services.botPool, 'Deployment resources').list();
      return { status: 200, body: { bots: bots.map(poolBotFacts) } };
    },
  }),
];
