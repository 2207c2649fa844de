import * as z from 'zod';
import { route } from './route-support.ts';

const keyParam = z.object({ key: z.string().regex(/^[0-9a-f]{10}$/, 'an API key id is 10 hex characters') });

/** API keys: admins manage them (the domain refuses anyone else); everyone lists their own. */
export const KEY_ROUTES = [
  route({
    method: 'GET',
    path: '/keys',
    operationId: 'listKeys',
    summary: 'API keys: the caller’s own, or (admins) everyone’s',
    tag: 'keys',
    query: z.object({ owner: z.coerce.number().int().positive().optional() }),
    responses: { 200: { description: 'Keys (never their secrets or hashes)', schema: 'KeyList' } },
    async handle({ auth, query }, services) {
      return { status: 200, body: { keys: await services.apiKeys.list(auth.principal, query.owner) } };
    },
  }),
  route({
    method: 'POST',
    path: '/keys',
    operationId: 'createKey',
    summary: 'Create an API key for a person; its secret is in this answer only',
    tag: 'keys',
    adminOnly: true,
    body: z.object({
      name: z.string().min(1).max(60).describe('What the key is for, e.g. "ci" or "laptop"'),
      ownerId: z.number().int().positive().optional().describe('Telegram user id; default the caller'),
    }),
    responses: { 201: { description: 'The key and its secret', schema: 'IssuedKey' } },
    async handle({ auth, body }, services) {
      const issued = await services.apiKeys.create(auth.principal, {
        ownerId: body.ownerId ?? auth.principal.userId,
        name: body.name,
      });
      return { status: 201, body: issued };
    },
  }),
  route({
    method: 'POST',
    path: '/keys/{key}/rotate',
    operationId: 'rotateKey',
    summary: 'A new secret for a key; the old one stops working at once',
    tag: 'keys',
    adminOnly: true,
    params: keyParam,
    responses: { 200: { description: 'The key and its new secret', schema: 'IssuedKey' } },
    async handle({ auth, params }, services) {
      return { status: 200, body: await services.apiKeys.rotate(auth.principal, params.key) };
    },
  }),
  route({
    method: 'DELETE',
    path: '/keys/{key}',
    operationId: 'revokeKey',
    summary: 'Revoke a key: it is refused from now on (403)',
    tag: 'keys',
    adminOnly: true,
    params: keyParam,
    responses: { 200: { description: 'The revoked key', schema: 'Key' } },
    async handle({ auth, params }, services) {
      return { status: 200, body: { key: await services.apiKeys.revoke(auth.principal, params.key) } };
    },
  }),
];
