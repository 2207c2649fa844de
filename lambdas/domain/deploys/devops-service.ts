import { type Pipelines, TaskTokenError } from '../../ports/pipelines.ts';
import type { Principal } from '../access/access-policy.ts';
import { conflict, invalid } from '../errors.ts';
import { taskGroupOf } from '../pipelines/run-names.ts';
import type { RunRecord, RunRecords } from '../pipelines/run-records.ts';
import type { Project } from '../projects/project.ts';
import { devopsRunName } from './deploy-names.ts';
import type { SecretRequests } from './secret-requests.ts';

export interface DeployFacts {
  runName: string;
  status: string;
  step?: string;
  commit?: string;
  url?: string;
  elapsedSeconds: number;
  waitingForSecret?: string;
}

/** Starting deploys of what the engineering pipeline built, reading them, and resuming their waits. */
export class DevopsService {
  constructor(
    private readonly deps: {
      pipelines: Pipelines;
      deploys: RunRecords;
      builds: RunRecords;
      requests: SecretRequests;
      now?: () => Date;
    },
  ) {}

  /**
   * Deploys the project's last green commit (the tested one, never an untested branch head). The
   * run name is the idempotency key: a replayed start gets the same run.
   */
  async start(
    project: Project,
    chatId: number,
    options: { commit?: string; purpose?: 'deploy' | 'recovery' } = {},
  ): Promise<RunRecord> {
    const { pipelines, deploys, builds } = this.deps;
    const built = (await builds.list(project.id))
      .filter((b) => b.outcome === 'succeeded' && b.builtCommit)
      .at(-1);
    // A recovery redeploys a release that served (options.commit); a deploy takes the last green build.
    const commit = options.commit ?? built?.builtCommit;
    if (!commit) throw invalid(`${project.name} has no tested build yet: build it first`);
    const previous = await deploys.list(project.id);
    // One deploy of a project at a time: two would race on the same release directory and port.
    const last = previous.at(-1);
    if (last && last.outcome === undefined) {
      const run = await pipelines.describe(last.runId).catch(() => undefined);
      if (run?.status === 'RUNNING')
        throw conflict(
          `A deploy of ${project.name} is already running (${last.runName}); wait for it to finish.`,
        );
    }
    const number = previous.length + 1;
    // What a rollback restores: the release of the last deploy that went live.
    const serving = previous.filter((d) => d.outcome === 'succeeded' && d.commit).at(-1)?.commit ?? null;
    const runName = devopsRunName(project.id, number);
    const input = {
      run: {
        name: runName,
        projectId: project.id,
        ownerId: project.ownerId,
        chatId,
        number,
        commit,
        serving,
        taskGroup: taskGroupOf(runName),
      },
    };
    const started = await pipelines.start({ pipeline: 'devops', name: runName, input });
    const record: RunRecord = {
      runName,
      runId: started.runId,
      pipeline: 'devops',
      projectId: project.id,
      ownerId: project.ownerId,
      chatId,
      number,
      startedAt: started.startedAt,
      commit,
      ...(options.purpose === 'recovery' ? { purpose: 'recovery' as const } : {}),
    };
    await deploys.put(record);
    return record;
  }

  /** The commit of the last deploy that went live, if any: what a recovery redeploys. */
  async lastGoodRelease(projectId: string): Promise<string | undefined> {
    const deploys = await this.deps.deploys.list(projectId);
    return deploys.filter((d) => d.outcome === 'succeeded' && d.commit).at(-1)?.commit;
  }

  /** The project's latest deploy record (for the health checks: was it a recovery, how did it end). */
  async latestRecord(projectId: string): Promise<RunRecord | undefined> {
    return (await this.deps.deploys.list(projectId)).at(-1);
  }

  async latest(project: Project): Promise<DeployFacts | undefined> {
    const record = (await this.deps.deploys.list(project.id)).at(-1);
    if (!record) return undefined;
    const [run, history, request] = await Promise.all([
      this.deps.pipelines.describe(record.runId),
      this.deps.pipelines.history(record.runId),
      this.deps.requests.forChat(record.chatId),
    ]);
    const step = history.filter((e) => e.type.endsWith('StateEntered') && e.stateName).at(-1)?.stateName;
    const end = run.stoppedAt ? new Date(run.stoppedAt) : (this.deps.now?.() ?? new Date());
    return {
      runName: record.runName,
      status: run.status,
      ...(step ? { step } : {}),
      ...(record.commit ? { commit: record.commit } : {}),
      ...(record.url ? { url: record.url } : {}),
      elapsedSeconds: Math.max(0, Math.round((end.getTime() - new Date(run.startedAt).getTime()) / 1000)),
      ...(request?.runName === record.runName && run.status === 'RUNNING'
        ? { waitingForSecret: request.key }
        : {}),
    };
  }

  /**
   * A secret the person sent was stored for a project: if a deploy of that project waits for it
   * in this chat, the run goes on. Returns whether a run was resumed.
   */
  async secretStored(principal: Principal, chatId: number, projectId: string, key: string): Promise<boolean> {
    const request = await this.deps.requests.forChat(chatId);
    if (!request || request.ownerId !== principal.userId) return false;
    const consumed = await this.deps.requests.consume(chatId, projectId, key);
    if (!consumed) return false;
    try {
      await this.deps.pipelines.sendTaskSuccess(consumed.taskToken, { received: key });
      return true;
    } catch (error) {
      if (error instanceof TaskTokenError) return false;
      throw error;
    }
  }
}
