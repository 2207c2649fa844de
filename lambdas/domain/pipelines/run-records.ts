import type { KeyValueStore } from '../../ports/key-value-store.ts';

/** What the product keeps about a run, next to its project (the run's own state is in Step Functions). */
export interface RunRecord {
  runName: string;
  runId: string;
  pipeline: 'engineering' | 'devops';
  projectId: string;
  ownerId: number;
  chatId: number;
  number: number;
  startedAt: string;
  /** Filled in as the run goes. */
  attempts?: number;
  lastCommit?: string;
  htmlUrl?: string;
  /** The escalation the run waits on, while it waits. */
  escalationId?: string;
  /** How the run ended, once it has; engineering: the green commit it built. */
  outcome?: 'succeeded' | 'failed' | 'given_up' | 'rolled_back' | 'stopped';
  builtCommit?: string;
  /** Devops: the commit it deploys, and the URL it serves at. */
  commit?: string;
  url?: string;
  repository?: string;
  analysisRef?: string;
  /** Devops: a redeploy the health checks started to recover a service that went down. */
  purpose?: 'recovery';
  /** Devops: the failed release's log tail (secrets redacted), when its rollback read one. */
  logRef?: string;
}

export interface AttemptRecord {
  attempt: number;
  commit?: string;
  passed: boolean;
  summaryRef?: string;
  reportRef?: string;
  at: string;
}

/**
 * Run and attempt records in the projects table: `PROJECT#<id>` / `RUN#<name>` and
 * `RUN#<name>#A<n>` for engineering, `DEPLOY#<name>` for devops (each pipeline numbers its own runs).
 */
export class RunRecords {
  private readonly prefix: string;

  constructor(
    private readonly store: KeyValueStore,
    pipeline: RunRecord['pipeline'] = 'engineering',
  ) {
    this.prefix = pipeline === 'engineering' ? 'RUN#' : 'DEPLOY#';
  }

  async put(record: RunRecord): Promise<void> {
    await this.store.put('projects', {
      pk: `PROJECT#${record.projectId}`,
      sk: `${this.prefix}${record.runName}`,
      ...record,
    });
  }

  async get(projectId: string, runName: string): Promise<RunRecord | undefined> {
    const item = await this.store.get('projects', {
      pk: `PROJECT#${projectId}`,
      sk: `${this.prefix}${runName}`,
    });
    return item ? strip<RunRecord>(item) : undefined;
  }

  /** The project's runs, oldest first. */
  async list(projectId: string): Promise<RunRecord[]> {
    const runs: RunRecord[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.query('projects', `PROJECT#${projectId}`, {
        skBeginsWith: this.prefix,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) if (!item.sk.includes('#A')) runs.push(strip<RunRecord>(item));
      cursor = page.cursor;
    } while (cursor);
    return runs.sort((a, b) => a.number - b.number);
  }

  /** Changes a run's record (the steps fill it in as the run goes). */
  async update(projectId: string, runName: string, change: Partial<RunRecord>): Promise<void> {
    const run = await this.get(projectId, runName);
    if (run) await this.put({ ...run, ...change });
  }

  /** Every attempt of every run of the project, with its run's name, oldest run first. */
  async allAttempts(projectId: string): Promise<Array<AttemptRecord & { runName: string }>> {
    const attempts: Array<AttemptRecord & { runName: string }> = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.query('projects', `PROJECT#${projectId}`, {
        skBeginsWith: this.prefix,
        ...(cursor ? { cursor } : {}),
      });
      for (const item of page.items) {
        const match = /^[A-Z]+#(.+)#A\d+$/.exec(item.sk);
        if (match?.[1]) attempts.push({ ...strip<AttemptRecord>(item), runName: match[1] });
      }
      cursor = page.cursor;
    } while (cursor);
    return attempts;
  }

  async putAttempt(projectId: string, runName: string, attempt: AttemptRecord): Promise<void> {
    const sk = `${this.prefix}${runName}#A${String(attempt.attempt).padStart(3, '0')}`;
    await this.store.put('projects', { pk: `PROJECT#${projectId}`, sk, ...attempt });
    const run = await this.get(projectId, runName);
    if (run) {
      await this.put({
        ...run,
        attempts: Math.max(run.attempts ?? 0, attempt.attempt),
        ...(attempt.commit ? { lastCommit: attempt.commit } : {}),
      });
    }
  }
}

function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, ...rest } = item;
  return rest as T;
}
