import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  APIGatewayRequestAuthorizerEventV2,
  APIGatewaySimpleAuthorizerResult,
  Context,
} from 'aws-lambda';
import { INSPECTOR_SHELL_PATHS } from '../../lambdas/inspector/inspector-shell.ts';
import { lambdaContext, type MountedApp } from '../../scripts/local-stack/http-api.ts';

/**
 * The admin API's public routes as the CDK construct declares them (tests/cdk/admin-api.test.ts
 * holds the construct to this list); every other request goes through the authorizer.
 */
export const ADMIN_API_PUBLIC_GETS = ['/openapi.json', ...INSPECTOR_SHELL_PATHS];

const gatewayAnswer = (statusCode: number, message: string) => ({
  statusCode,
  headers: { 'content-type': 'application/json' },
  body: JSON.stringify({ message }),
});

/**
 * The deployed admin API in front of its handler, as API Gateway (HTTP API) plays it: the public
 * routes straight to the handler; any other request without an Authorization header is answered
 * 401 `{"message":"Unauthorized"}` by API Gateway itself, one the Lambda authorizer refuses 403
 * `{"message":"Forbidden"}`, and the rest reaches the handler. Mounted on the local HTTP server,
 * which builds the API Gateway v2 events.
 */
export function adminApiGateway(
  handler: (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyStructuredResultV2>,
  authorizer: (event: APIGatewayRequestAuthorizerEventV2) => Promise<APIGatewaySimpleAuthorizerResult>,
): MountedApp {
  return async (event) => {
    const method = event.requestContext.http.method;
    if (!(method === 'GET' && ADMIN_API_PUBLIC_GETS.includes(event.rawPath))) {
      const header = event.headers.authorization;
      if (!header) return gatewayAnswer(401, 'Unauthorized');
      const verdict = await authorizer({
        version: '2.0',
        type: 'REQUEST',
        routeArn: `arn:aws:execute-api:local:000000000000:local/$default/${method}${event.rawPath}`,
        identitySource: [header],
        routeKey: 'ANY /{proxy+}',
        rawPath: event.rawPath,
        rawQueryString: event.rawQueryString,
        headers: event.headers,
        requestContext: event.requestContext,
      } as APIGatewayRequestAuthorizerEventV2);
      if (!verdict.isAuthorized) return gatewayAnswer(403, 'Forbidden');
    }
    const result = await handler(event, lambdaContext(event.requestContext.requestId));
    return {
      statusCode: result.statusCode ?? 200,
      headers: (result.headers ?? {}) as Record<string, string>,
      body: result.body ?? '',
    };
  };
}
