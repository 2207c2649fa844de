import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import * as z from 'zod';
import { API_INFO } from '../../../../lambdas/app/admin-api-wiring.ts';
import { createApiApp } from '../../../../lambdas/app/api/api-app.ts';
import { openApiDocument } from '../../../../lambdas/app/api/openapi.ts';
import { defineRoute } from '../../../../lambdas/app/api/route.ts';
import { Router } from '../../../../lambdas/app/api/router.ts';
import { API_ROUTES } from '../../../../lambdas/handlers/api/routes.ts';
import { API_SCHEMAS } from '../../../../lambdas/handlers/api/schemas.ts';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { operationId: string; requestBody?: unknown; responses: object }>>;
  components: { schemas: Record<string, unknown>; responses: Record<string, unknown> };
};

const doc = openApiDocument(API_ROUTES, API_INFO, API_SCHEMAS) as unknown as Doc;

describe('the admin API’s OpenAPI document', () => {
  it('has exactly the router’s routes, each once', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`),
    );
    const routed = API_ROUTES.map((r) => `${r.method} ${r.path}`);
    expect(documented.sort()).toEqual([...routed].sort());
    expect(new Set(API_ROUTES.map((r) => r.operationId)).size).toBe(API_ROUTES.length);
  });

  it('is OpenAPI 3.1 with every referenced schema and response present', () => {
    expect(doc.openapi).toBe('3.1.0');
    const refs = [...JSON.stringify(doc).matchAll(/"\$ref":"#\/components\/(schemas|responses)\/([^"]+)"/g)];
    expect(refs.length).toBeGreaterThan(API_ROUTES.length);
    for (const [, kind, name] of refs) {
      expect(doc.components[kind as 'schemas' | 'responses'], `${kind}/${name}`).toHaveProperty(
        name as string,
      );
    }
  });

  it('documents each route’s body and parameters from the schemas it validates with', () => {
    for (const route of API_ROUTES) {
      const op = doc.paths[route.path]?.[route.method.toLowerCase()] as Record<string, unknown>;
      expect(op.requestBody !== undefined, `${route.method} ${route.path}`).toBe(route.body !== undefined);
      const params = (op.parameters ?? []) as Array<{ name: string; in: string }>;
      for (const name of [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1])) {
        expect(params).toContainEqual(expect.objectContaining({ name, in: 'path' }));
      }
    }
    const create = doc.paths['/projects']?.post?.requestBody as {
      content: { 'application/json': { schema: { required: string[] } } };
    };
    expect(create.content['application/json'].schema.required).toEqual(['description']);
  });
});

function event(method: string, path: string, body?: string, headers: Record<string, string> = {}) {
  return {
    rawPath: path,
    rawQueryString: '',
    headers: { authorization: 'Bearer k', ...headers },
    body,
    isBase64Encoded: false,
    requestContext: { requestId: 'req-1', http: { method } },
  } as unknown as APIGatewayProxyEventV2;
}

function app(handle: () => Promise<never>) {
  const logger = { error: vi.fn() };
  const params = z.object({ id: z.string().regex(/^\d+$/) });
  const body = z.object({ n: z.number() });
  const routes = [
    defineRoute<object, string, typeof params, undefined, typeof body>({
      method: 'POST',
      path: '/things/{id}',
      operationId: 'thing',
      summary: 'x',
      tag: 't',
      params,
      body,
      responses: { 200: { description: 'ok' } },
      handle,
    }),
  ];
  return {
    logger,
    api: createApiApp<object, string>({
      routes,
      services: () => ({}),
      basePath: '',
      authenticate: async () => ({ ok: true, auth: 'me', bucket: 'k' }),
      rateLimit: async () => ({ allowed: true }),
      mapError: () => undefined,
      openApi: () => ({}),
      logger,
    }),
  };
}

describe('the admin API’s errors', () => {
  it('answers an unexpected error with a 500 problem that names the request, not the error', async () => {
    const { api, logger } = app(async () => {
      throw new Error(
        'AccessDeniedException: arn:aws:iam::123456789012:role/x is not authorized\n    at send',
      );
    });

    const response = await api.handle(event('POST', '/things/1', '{"n":1}'));

    expect(response.statusCode).toBe(500);
    expect(response.headers['content-type']).toBe('application/problem+json');
    expect(response.body).not.toMatch(/AccessDenied|arn:|at send/);
    expect(JSON.parse(response.body ?? '')).toMatchObject({ status: 500, instance: 'req-1' });
    expect(logger.error).toHaveBeenCalled();
  });

  it.each([
    ['malformed JSON', '/things/1', '{', 400],
    ['a body of the wrong shape', '/things/1', '{"n":"one"}', 400],
    ['a bad path parameter', '/things/x', '{"n":1}', 400],
  ])(
    'answers %s with a problem listing what is wrong, without running the route',
    async (_w, path, body, status) => {
      const handle = vi.fn();
      const { api } = app(handle);

      const response = await api.handle(event('POST', path, body));

      expect(response.statusCode).toBe(status);
      expect(JSON.parse(response.body ?? '')).toMatchObject({ type: 'urn:orchestrator:problem:bad-request' });
      expect(handle).not.toHaveBeenCalled();
    },
  );

  it('matches path templates segment by segment', () => {
    const router = new Router(API_ROUTES);
    expect(router.match('GET', '/runs/eng-a-b-1/events')).toMatchObject({
      kind: 'found',
      params: { run: 'eng-a-b-1' },
    });
    expect(router.match('PUT', '/runs/x/stop')).toEqual({ kind: 'method_not_allowed', allowed: ['POST'] });
    expect(router.match('GET', '/runs/a/b/events').kind).toBe('not_found');
  });
});
