import { chmodSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { PipelineName, RunDescription, RunHistoryEvent } from '../../../ports/pipelines.ts';
import { readJson, writeJsonAtomic } from './atomic-json.ts';

/**
 * What a finished (or pending) Task left behind, keyed by `<state name>#<visit>`: a resumed run
 * answers from here instead of running the task again. A callback keeps its token so a button or a
 * worker bound to it still works after a restart; a dead token stays here so it can be refused.
 */
export type JournalEntry =
  | {
      status: 'pending';
      token?: string;
      /** A waitForTaskToken Lambda already ran (its message was sent): do not send it again. */
      invoked?: boolean;
      /** The worker process of an ECS task, which outlives a killed runner (own process group). */
      pid?: number;
    }
  | { status: 'succeeded'; result: unknown; token?: string }
  | { status: 'failed'; error: string; cause: string; token?: string; timedOut?: boolean };

export interface RunRecord extends RunDescription {
  v: 1;
  /** Creation order, which breaks ties between runs started in the same millisecond. */
  seq: number;
  history: RunHistoryEvent[];
  /** Library events already mapped into `history`: a resumed replay skips that many. */
  libraryEvents: number;
  journal: Record<string, JournalEntry>;
}

/** One JSON file per run, `<dataDir>/runs/<pipeline>/<name>.json`, written atomically. */
export class RunStore {
  private readonly root: string;

  constructor(dataDir: string) {
    this.root = join(dataDir, 'runs');
    // Inputs and outputs can carry user text: keep them private to this user.
    mkdirSync(this.root, { recursive: true, mode: 0o700 });
    chmodSync(this.root, 0o700);
  }

  loadAll(): RunRecord[] {
    const records: RunRecord[] = [];
    for (const pipeline of readdirSync(this.root)) {
      for (const file of readdirSync(join(this.root, pipeline))) {
        if (file.endsWith('.json')) records.push(readJson<RunRecord>(join(this.root, pipeline, file)));
      }
    }
    return records;
  }

  save(record: RunRecord): void {
    const dir = join(this.root, record.pipeline);
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    writeJsonAtomic(join(dir, `${record.name}.json`), record);
  }
}

/** A local run id of the same shape as an execution ARN, so ids look alike in both worlds. */
export function localExecutionArn(pipeline: PipelineName, name: string): string {
  return `arn:aws:states:local:000000000000:execution:${pipeline}:${name}`;
}

export function localStateMachineArn(pipeline: PipelineName): string {
  return `arn:aws:states:local:000000000000:stateMachine:${pipeline}`;
}
