import { type Pipelines, TaskTokenError } from '../../ports/pipelines.ts';
import type { Principal } from '../access/access-policy.ts';
import type { Project } from '../projects/project.ts';
import type { PipelineDocuments } from './documents.ts';
import type { Escalations } from './escalations.ts';
import { engineeringRunName, taskGroupOf } from './run-names.ts';
import type { RunRecord, RunRecords } from './run-records.ts';

export interface RunFacts {
  runName: string;
  status: string;
  /** The state the run is in (or ended in), as the console names it. */
  step?: string;
  attempts: number;
  htmlUrl?: string;
  elapsedSeconds: number;
  waitingForDecision: boolean;
}

export type DecisionOutcome = 'accepted' | 'stale' | 'not_yours';

/** Starting engineering runs, reading how they go, and answering their escalations. */
export class EngineeringService {
  constructor(
    private readonly deps: {
      pipelines: Pipelines;
      runs: RunRecords;
      documents: PipelineDocuments;
      escalations: Escalations;
      now?: () => Date;
    },
  ) {}

  /**
   * Starts the project's next run: the first builds the repository, later ones a change on a
   * branch of it. The run name is the idempotency key: a repeated start (a tool call replayed after
   * a crash) finds the same number, so the same name and input, and gets the same run.
   */
  async start(
    project: Project,
    chatId: number,
    request?: string,
    options: { deployAfter?: boolean } = {},
  ): Promise<RunRecord> {
    const { pipelines, runs, documents } = this.deps;
    const previous = await runs.list(project.id);
    const number = previous.length + 1;
    const runName = engineeringRunName(project.id, number);
    const requestRef = await documents.put(project.id, 'request', runName, 0, request ?? project.description);
    const input = {
      run: {
        name: runName,
        projectId: project.id,
        ownerId: project.ownerId,
        chatId,
        number,
        requestRef,
        taskGroup: taskGroupOf(runName),
        deployAfter: options.deployAfter === true,
      },
    };
    const started = await pipelines.start({ pipeline: 'engineering', name: runName, input });
    const record: RunRecord = {
      runName,
      runId: started.runId,
      pipeline: 'engineering',
      projectId: project.id,
      ownerId: project.ownerId,
      chatId,
      number,
      startedAt: started.startedAt,
    };
    await runs.put(record);
    return record;
  }

  /** The latest run of the project, as the console would show it; undefined without runs. */
  async latest(project: Project): Promise<RunFacts | undefined> {
    const record = (await this.deps.runs.list(project.id)).at(-1);
    if (!record) return undefined;
    const [run, history] = await Promise.all([
      this.deps.pipelines.describe(record.runId),
      this.deps.pipelines.history(record.runId),
    ]);
    const entered = history.filter((e) => e.type.endsWith('StateEntered') && e.stateName);
    const end = run.stoppedAt ? new Date(run.stoppedAt) : (this.deps.now?.() ?? new Date());
    const step = entered.at(-1)?.stateName;
    return {
      runName: record.runName,
      status: run.status,
      ...(step ? { step } : {}),
      attempts: record.attempts ?? 0,
      ...(record.htmlUrl ? { htmlUrl: record.htmlUrl } : {}),
      elapsedSeconds: Math.max(0, Math.round((end.getTime() - new Date(run.startedAt).getTime()) / 1000)),
      waitingForDecision: run.status === 'RUNNING' && step === 'Ask the owner what to do',
    };
  }

  /**
   * Where a run stands: still going (waiting on the owner, or starting its deploy, counts), ended
   * built (green), or ended without a build (failed, given up, stopped at the budget).
   */
  async endOf(projectId: string, runName: string): Promise<'running' | 'built' | 'not_built'> {
    const record = await this.deps.runs.get(projectId, runName);
    if (!record) return 'not_built';
    const run = await this.deps.pipelines.describe(record.runId);
    if (run.status === 'RUNNING') return 'running';
    return record.outcome === 'succeeded' ? 'built' : 'not_built';
  }

  /** The owner's answer to an escalation (a button, or approve_escalation): resolves the waiting run. */
  async decide(
    principal: Principal,
    escalationId: string,
    decision: 'try_again' | 'give_up',
  ): Promise<DecisionOutcome> {
    const open = await this.deps.escalations.get(escalationId);
    if (!open) return 'stale';
    if (open.ownerId !== principal.userId) return 'not_yours';
    const consumed = await this.deps.escalations.consume(escalationId);
    if (!consumed) return 'stale';
    try {
      await this.deps.pipelines.sendTaskSuccess(consumed.taskToken, { decision });
      return 'accepted';
    } catch (error) {
      if (error instanceof TaskTokenError) return 'stale';
      throw error;
    }
  }

  /** The escalation the project's latest run waits on, if any. */
  async openEscalationOf(project: Project): Promise<string | undefined> {
    const record = (await this.deps.runs.list(project.id)).at(-1);
    return record?.escalationId;
  }
}
