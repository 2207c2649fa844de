import type { TokenUsage } from './language-model.ts';

/**
 * Coding engine port: something that edits a checked-out working tree to meet a task. Claude
 * Code (headless, on Bedrock) in AWS; a scripted, deterministic engine locally, which writes a
 * small but real project whose tests really run.
 */
export interface CodingTask {
  /** The working tree to edit (a clone of the project's repository, on its branch). */
  workdir: string;
  /** What to build: the spec (user stories, acceptance criteria) as text. */
  spec: string;
  projectName: string;
  /** 1 for the first try; higher when reworking after a red test report. */
  attempt: number;
  /** The tester's report of the previous attempt, when reworking. */
  testReport?: string;
  /** On a change or fix: the project's knowledge for the request, quoted as untrusted data. */
  knowledge?: string;
  maxTurns: number;
  signal?: AbortSignal;
}

export interface CodingResult {
  outcome: 'done' | 'gave_up';
  /** What the engine says it did, for the commit message and the owner's message. */
  summary: string;
  usage: TokenUsage;
  /** The model that did the work, for the usage ledger's price lookup. */
  modelId: string;
  /** Model round trips the engine made, when it reports them. */
  turns?: number;
  /**
   * Cost in micro-dollars priced with OUR price table (never the engine's own list-price figure),
   * when the engine used more than one model and `modelId` alone cannot price `usage`.
   */
  cost?: { micros: number; priced: boolean };
}

export interface CodingEngine {
  readonly name: string;
  /**
   * @throws CodingEngineError when the engine failed (not when it gave up: that is a result);
   * the signal's reason when aborted.
   */
  run(task: CodingTask): Promise<CodingResult>;
}

/** The engine could not run or crashed (bad binary, model API errors, no result). */
export class CodingEngineError extends Error {
  constructor(
    message: string,
    /** e.g. `spawn_failed`, `no_result`, `api_error`. */
    readonly code: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'CodingEngineError';
  }
}
