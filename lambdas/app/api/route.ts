import type * as z from 'zod';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

/** One server-sent event: `history` (a run's history event), `status`, `end` (the run ended). */
export interface SseEvent {
  event: string;
  data: unknown;
  id?: string;
}

/** What a route answers: JSON, or a stream of server-sent events. */
export type RouteResult =
  | { status: number; body?: unknown; headers?: Record<string, string> }
  | {
      status: 200;
      /**
       * The events after `lastEventId`. `follow`: keep going until the run ends (a live stream);
       * without it, only what exists now (the buffered Lambda answer, which clients re-poll).
       */
      events: (options: {
        lastEventId?: string;
        follow: boolean;
        signal: AbortSignal;
      }) => AsyncIterable<SseEvent>;
    };

export interface RouteInput<P, Q, B, A> {
  params: P;
  query: Q;
  body: B;
  /** Who calls: what the authenticator returned for the API key (absent on public routes). */
  auth: A;
  headers: Record<string, string>;
  requestId: string;
}

export interface ResponseSpec {
  description: string;
  /** A name in the document's components.schemas (the `schemas` given to openApiDocument). */
  schema?: string;
  /** Default application/json. */
  contentType?: string;
}

/**
 * A route: its method and path template (`/projects/{project}`), the zod schemas its input is
 * validated with (the same ones the OpenAPI document is generated from), and its handler.
 */
export interface Route<S, A> {
  method: HttpMethod;
  path: string;
  operationId: string;
  summary: string;
  tag: string;
  /** Served without an API key (the OpenAPI document). */
  public?: boolean;
  /** Documented as admin-only (the handler enforces it through the domain). */
  adminOnly?: boolean;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  // biome-ignore lint/suspicious/noExplicitAny: inputs are typed per route by defineRoute.
  handle(input: RouteInput<any, any, any, A>, services: S): Promise<RouteResult>;
}

type Out<T> = T extends z.ZodType ? z.output<T> : undefined;

/** A route as declared: its handler's input typed from its schemas. */
export type RouteDefinition<
  S,
  A,
  P extends z.ZodObject | undefined,
  Q extends z.ZodObject | undefined,
  B extends z.ZodType | undefined,
> = Omit<Route<S, A>, 'handle' | 'params' | 'query' | 'body'> & {
  params?: P;
  query?: Q;
  body?: B;
  handle(input: RouteInput<Out<P>, Out<Q>, Out<B>, A>, services: S): Promise<RouteResult>;
};

/** Declares a route with its handler's input typed from its schemas. */
export function defineRoute<
  S,
  A,
  P extends z.ZodObject | undefined = undefined,
  Q extends z.ZodObject | undefined = undefined,
  B extends z.ZodType | undefined = undefined,
>(route: RouteDefinition<S, A, P, Q, B>): Route<S, A> {
  return route as unknown as Route<S, A>;
}
