import type { UpdateSpec } from './fixtures.ts';

/** What the bench asks of one child process (passed as JSON in argv[2]). */
export interface RunnerJob {
  mode: 'cold' | 'warm';
  /** Absolute path of the bundled handler (or of an empty module, for the node start-up floor). */
  bundle: string;
  /** Where a cold runner writes its result, and any runner its fatal error, as JSON. */
  out: string;
  /** Null: import only, no request (the empty-module floor). */
  spec: UpdateSpec | null;
  firstUpdateId: number;
  /** Warm mode: untimed invocations before the runner reports ready. */
  warmup: number;
}

export interface ColdResult {
  /** performance.now() (ms since the process started) just before and just after `import()`. */
  importStartMs: number;
  importedMs: number;
  /** performance.now() when the first invocation returned (import + init + first request). */
  firstResponseMs?: number;
  status?: number;
}

/**
 * Warm mode is driven over the IPC channel, so the bench can alternate blocks of timed
 * invocations between the two handlers' processes and both see the same machine noise.
 */
export type WarmCommand =
  | { cmd: 'block'; firstUpdateId: number; count: number }
  | { cmd: 'trace'; firstUpdateId: number; count: number }
  /** A timed block under the V8 CPU profiler; the .cpuprofile goes to `out`. */
  | { cmd: 'profile'; firstUpdateId: number; count: number; out: string }
  | { cmd: 'exit' };

export interface WarmReady {
  importedMs: number;
  /** Calls made during the warm-up (first invocation included: secrets, init). */
  warmupCalls: Record<string, number>;
}

export interface BlockResult {
  /** One wall-clock duration per timed invocation, ms. */
  samplesMs: number[];
  /** CPU time of the handler process over the block, µs. */
  cpuUs: number;
}

/** HTTP calls the handler made, keyed by `X-Amz-Target` (or `other:<host>`), and time waiting on them. */
export interface TraceSummary {
  invocations: number;
  /** Mean wall time per invocation in the traced pass, ms. */
  meanTotalMs: number;
  calls: Record<string, number>;
  /** Summed request-start-to-response-headers time per service, ms. */
  waitMs: Record<string, number>;
}

export interface ExitResult {
  rssBytes: number;
}

export type WarmReply = { ok: true; value: unknown } | { ok: false; error: string };

export interface RunnerFailure {
  error: string;
}
