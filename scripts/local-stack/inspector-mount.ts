import type { RunInspector } from '../../lambdas/inspector/run-inspector.ts';
import type { MountedApp } from './http-api.ts';

/** The run inspector (a plain request/response function) as a mounted app of the HTTP API. */
export function inspectorMount(inspector: RunInspector): MountedApp {
  return async (event) => {
    const answer = await inspector({
      method: event.requestContext.http.method,
      path: event.rawPath,
      query: Object.fromEntries(new URLSearchParams(event.rawQueryString)),
    }).catch(() => ({
      status: 500,
      headers: { 'content-type': 'text/plain' },
      body: 'Internal Server Error',
    }));
    return { statusCode: answer.status, headers: answer.headers, body: answer.body };
  };
}
