/** What the CLI's exit code means; scripts rely on these. */
export const EXIT = {
  ok: 0,
  /** A run failed (or timed out, or was stopped), or the API refused the request (409, 422). */
  failed: 1,
  /** Wrong arguments or options, or a request the API found malformed (400). */
  usage: 2,
  /** No key, an unknown or revoked key, or no right to the resource (401, 403). */
  auth: 3,
  notFound: 4,
  /** The API cannot be reached, or failed on its side (5xx). */
  unavailable: 5,
  /** Over the key's rate limit (429): try again after Retry-After. */
  rateLimited: 6,
} as const;

export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function exitCodeForStatus(status: number): number {
  if (status === 400 || status === 413 || status === 415) return EXIT.usage;
  if (status === 401 || status === 403) return EXIT.auth;
  if (status === 404) return EXIT.notFound;
  if (status === 429) return EXIT.rateLimited;
  if (status >= 500) return EXIT.unavailable;
  return EXIT.failed;
}
