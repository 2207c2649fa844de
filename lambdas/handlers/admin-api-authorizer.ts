import type { APIGatewayRequestAuthorizerEventV2, APIGatewaySimpleAuthorizerResult } from 'aws-lambda';
import { apiKeyIdOf } from '../domain/api-keys/api-key.ts';

/**
 * The admin API's Lambda authorizer: a stateless check that the Authorization header carries
 * something shaped like an API key (`Bearer oak_<id>_<secret>`), so junk never reaches (or bills)
 * the API function and the store. API Gateway answers 401 itself when the header is missing, and
 * 403 when this says no. It reads nothing, so its answer may be cached per header value; the API
 * function checks the key's hash, revocation, owner and rate limit on every request.
 */
export async function handler(
  event: APIGatewayRequestAuthorizerEventV2,
): Promise<APIGatewaySimpleAuthorizerResult> {
  const header = event.identitySource?.[0] ?? event.headers?.authorization ?? '';
  const key = /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? '';
  return { isAuthorized: apiKeyIdOf(key) !== undefined };
}
