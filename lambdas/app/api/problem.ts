import * as z from 'zod';

/**
 * Errors as RFC 9457 problem documents (`application/problem+json`). `detail` is written for the
 * caller and never carries a stack, an SDK message or anything from a dependency's error.
 */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  /** The request id: what to quote to an operator, who finds it in the logs. */
  instance?: string;
  /** Validation problems: where and what. */
  errors?: Array<{ path: string; message: string }>;
  /** 429: seconds until the key may call again (also in Retry-After). */
  retryAfterSeconds?: number;
}

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

const TITLES: Record<number, [string, string]> = {
  400: ['bad-request', 'The request is malformed'],
  401: ['unauthorized', 'An API key is required'],
  403: ['forbidden', 'Not allowed'],
  404: ['not-found', 'Not found'],
  405: ['method-not-allowed', 'Method not allowed'],
  409: ['conflict', 'Conflict'],
  413: ['too-large', 'The request body is too large'],
  415: ['unsupported-media-type', 'The body must be application/json'],
  422: ['unprocessable', 'The request cannot be carried out'],
  429: ['rate-limited', 'Too many requests for this API key'],
  500: ['internal', 'Internal error'],
  503: ['unavailable', 'Not available in this installation'],
};

/** A problem of a known status; `type` is a stable URN per kind, to switch on. */
export function problem(status: number, detail?: string, extra: Partial<Problem> = {}): Problem {
  const [slug, title] = TITLES[status] ?? TITLES[500]!;
  return { type: `urn:orchestrator:problem:${slug}`, title, status, ...(detail ? { detail } : {}), ...extra };
}

/** Thrown by route handlers for an answer that is not a success. */
export class ProblemError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
    this.name = 'ProblemError';
  }
}

/** The problem document's schema, for the OpenAPI document. */
export const problemSchema = z.object({
  type: z.string().describe('A URN per kind of problem, e.g. urn:orchestrator:problem:rate-limited'),
  title: z.string(),
  status: z.number().int(),
  detail: z.string().optional(),
  instance: z.string().optional().describe('The request id, for the logs'),
  errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  retryAfterSeconds: z.number().int().optional(),
});
