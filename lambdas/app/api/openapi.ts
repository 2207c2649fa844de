import * as z from 'zod';
import { problemSchema } from './problem.ts';
import type { Route } from './route.ts';

export interface OpenApiInfo {
  title: string;
  version: string;
  description: string;
}

type JsonSchema = Record<string, unknown>;

/** A zod schema as JSON Schema 2020-12 (OpenAPI 3.1's dialect), as the validator reads it (input side). */
export function jsonSchemaOf(schema: z.ZodType, io: 'input' | 'output' = 'input'): JsonSchema {
  const json = z.toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as JsonSchema;
  delete json.$schema;
  return json;
}

/**
 * The OpenAPI 3.1 document of the routes, generated from the zod schemas the API validates with:
 * parameters from `params` and `query`, the request body from `body`, responses by component name
 * from `schemas`. Every route but a public one needs the API key (bearer).
 */
export function openApiDocument<S, A>(
  routes: readonly Route<S, A>[],
  info: OpenApiInfo,
  schemas: Record<string, z.ZodType>,
  serverUrl?: string,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    const parameters = [...objectParameters(route.params, 'path'), ...objectParameters(route.query, 'query')];
    const responses: Record<string, unknown> = {};
    for (const [status, spec] of Object.entries(route.responses)) {
      const contentType = spec.contentType ?? 'application/json';
      responses[status] = {
        description: spec.description,
        ...(spec.schema
          ? { content: { [contentType]: { schema: { $ref: `#/components/schemas/${spec.schema}` } } } }
          : contentType !== 'application/json'
            ? { content: { [contentType]: { schema: { type: 'string' } } } }
            : {}),
      };
    }
    for (const status of route.public ? [] : ['401', '403', '429'])
      responses[status] ??= { $ref: `#/components/responses/${status}` };
    responses['400'] ??= { $ref: '#/components/responses/400' };
    responses.default = { $ref: '#/components/responses/default' };
    paths[route.path] ??= {};
    paths[route.path]![route.method.toLowerCase()] = {
      operationId: route.operationId,
      summary: route.summary + (route.adminOnly ? ' (administrators only)' : ''),
      tags: [route.tag],
      ...(route.public ? { security: [] } : {}),
      ...(parameters.length > 0 ? { parameters } : {}),
      ...(route.body
        ? {
            requestBody: {
              required: true,
              content: { 'application/json': { schema: jsonSchemaOf(route.body) } },
            },
          }
        : {}),
      responses,
    };
  }
  const problemRef = { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } };
  const problemResponse = (description: string, headers?: Record<string, unknown>) => ({
    description,
    content: problemRef,
    ...(headers ? { headers } : {}),
  });
  return {
    openapi: '3.1.0',
    info,
    ...(serverUrl ? { servers: [{ url: serverUrl }] } : {}),
    security: [{ apiKey: [] }],
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'An API key (oak_...) as `Authorization: Bearer <key>`; `X-Api-Key: <key>` works too.',
        },
      },
      schemas: Object.fromEntries(
        Object.entries({ ...schemas, Problem: problemSchema }).map(([name, schema]) => [
          name,
          jsonSchemaOf(schema, 'output'),
        ]),
      ),
      responses: {
        '400': problemResponse('Malformed request: the problem lists each invalid field in `errors`'),
        '401': problemResponse('No API key, or one that is not known'),
        '403': problemResponse('A revoked key, or a resource the key’s owner may not use'),
        '429': problemResponse('Over the key’s rate limit', {
          'Retry-After': { description: 'Seconds to wait', schema: { type: 'integer' } },
        }),
        default: problemResponse('Any other error'),
      },
    },
  };
}

function objectParameters(schema: z.ZodObject | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  return Object.entries(schema.shape).map(([name, field]) => {
    const fieldSchema = field as z.ZodType;
    const description = fieldSchema.description;
    return {
      name,
      in: where,
      required: where === 'path' || !fieldSchema.safeParse(undefined).success,
      ...(description ? { description } : {}),
      schema: jsonSchemaOf(fieldSchema),
    };
  });
}
