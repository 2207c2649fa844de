import type { APIGatewayRequestAuthorizerEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { mintApiKey } from '../../../lambdas/domain/api-keys/api-key.ts';
import { handler } from '../../../lambdas/handlers/admin-api-authorizer.ts';

const event = (authorization?: string) =>
  ({
    type: 'REQUEST',
    identitySource: authorization === undefined ? [] : [authorization],
    headers: authorization === undefined ? {} : { authorization },
  }) as unknown as APIGatewayRequestAuthorizerEventV2;

describe('admin API authorizer', () => {
  it('lets a well-formed key through (the handler checks whether it is real)', async () => {
    expect(await handler(event(`Bearer ${mintApiKey().secret}`))).toEqual({ isAuthorized: true });
  });

  it.each([
    ['no header', undefined],
    ['a bare key without Bearer', mintApiKey().secret],
    ['another scheme', `Basic ${mintApiKey().secret}`],
    ['a key of the wrong shape', 'Bearer oak_123_abc'],
    ['something else', 'Bearer sk-proj-abcdefghijklmnopqrstuvwxyz'],
  ])('refuses %s', async (_what, header) => {
    expect(await handler(event(header))).toEqual({ isAuthorized: false });
  });
});
