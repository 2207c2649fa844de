import type { RunRef } from '../../pipelines/steps/run-ref.ts';

/** Thrown for an unhealthy service: the state machine retries it with backoff, then rolls back. */
export class SmokeTestFailed extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SmokeTestFailed';
  }
}

export interface HttpProbe {
  /** One GET; resolves with the status, rejects when nothing answers. */
  get(url: string, timeoutMs: number): Promise<{ status: number; body: string }>;
}

/**
 * Smoke test: one probe of the health endpoint. The retries with backoff and jitter are the
 * state's Retry on SmokeTestFailed (visible in the console), not a loop in here, so a Lambda never
 * sleeps through its own timeout. Only the status and a short reason leave this step.
 */
export async function smokeTestStep(
  deps: { probe: HttpProbe },
  input: { run: RunRef; url: string },
): Promise<{ status: number }> {
  const url = new URL('/health', input.url);
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new SmokeTestFailed('Not an HTTP URL');
  let answer: { status: number; body: string };
  try {
    answer = await deps.probe.get(url.href, 5000);
  } catch (error) {
    throw new SmokeTestFailed(
      `${url.href} did not answer (${error instanceof Error ? error.message : 'error'})`,
    );
  }
  if (answer.status !== 200) throw new SmokeTestFailed(`${url.href} answered ${answer.status}`);
  return { status: answer.status };
}

/** The probe on fetch (Node 20+), with a timeout per request. */
export const fetchProbe: HttpProbe = {
  async get(url, timeoutMs) {
    const response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: 'manual' });
    const body = (await response.text()).slice(0, 500);
    return { status: response.status, body };
  },
};
