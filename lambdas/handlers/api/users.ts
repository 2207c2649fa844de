import * as z from 'zod';
import { requireAdmin, route } from './route-support.ts';

export const USER_ROUTES = [
  route({
    method: 'GET',
    path: '/me',
    operationId: 'getMe',
    summary: 'Who the key acts as',
    tag: 'users',
    responses: { 200: { description: 'The key’s owner and role', schema: 'Me' } },
    async handle({ auth }) {
      return {
        status: 200,
        body: { userId: auth.principal.userId, role: auth.principal.role, keyId: auth.keyId },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/users',
    operationId: 'listUsers',
    summary: 'The people admitted to the bot',
    tag: 'users',
    adminOnly: true,
    query: z.object({}),
    responses: {
      200: { description: 'Admitted users (admins come from configuration)', schema: 'UserList' },
    },
    async handle({ auth }, services) {
      requireAdmin(auth);
      return { status: 200, body: { users: await services.users.list() } };
    },
  }),
];
