import { DevopsService } from '../domain/deploys/devops-service.ts';
import { SecretRequests } from '../domain/deploys/secret-requests.ts';
import { ProjectIndexing } from '../domain/knowledge/project-indexing.ts';
import { BudgetQuestions } from '../domain/pipelines/budget-questions.ts';
import { PipelineDocuments } from '../domain/pipelines/documents.ts';
import { Escalations } from '../domain/pipelines/escalations.ts';
import { RunRecords } from '../domain/pipelines/run-records.ts';
import { writeSpecStep } from '../domain/pipelines/steps/analyst.ts';
import { prepareRepositoryStep } from '../domain/pipelines/steps/architect.ts';
import { askBudgetStep, checkBudgetStep } from '../domain/pipelines/steps/budget-gate.ts';
import { escalateStep } from '../domain/pipelines/steps/escalate.ts';
import { indexKnowledgeStep } from '../domain/pipelines/steps/index-knowledge.ts';
import { type JobContextRequest, jobContextStep } from '../domain/pipelines/steps/job-context.ts';
import { type NotifyInput, notifyOwnerStep } from '../domain/pipelines/steps/notify-owner.ts';
import { recordAttemptStep } from '../domain/pipelines/steps/record-attempt.ts';
import type { RunRef } from '../domain/pipelines/steps/run-ref.ts';
import { ProjectRepository } from '../domain/projects/project-repository.ts';
import { ProjectService } from '../domain/projects/project-service.ts';
import { UsageLedger } from '../domain/usage/usage-ledger.ts';
import type { ChatChannel } from '../ports/chat.ts';
import type { GitHost } from '../ports/git-host.ts';
import type { LanguageModel } from '../ports/language-model.ts';
import type { Pipelines } from '../ports/pipelines.ts';
import type { WorkerTasks } from '../ports/worker-tasks.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { budgetsFor } from './budgets-wiring.ts';
import type { Knowledge } from './knowledge.ts';

/** The engineering state machine's Lambda steps, by the name each function has in the ASL. */
export type EngineeringStepName =
  | 'notify-owner'
  | 'analyst'
  | 'architect'
  | 'record-attempt'
  | 'escalate'
  | 'stop-workers'
  | 'job-context'
  | 'start-deploy'
  | 'check-budget'
  | 'ask-budget'
  | 'index-knowledge';

export type StepHandler = (payload: unknown) => Promise<unknown>;

export interface EngineeringStepPorts {
  chat: ChatChannel;
  model: () => LanguageModel;
  /** Absent where no git host is configured: the steps that need one fail saying so. */
  gitHost?: GitHost;
  pipelines: Pipelines;
  workerTasks: WorkerTasks;
  /** Project knowledge, where configured (KNOWLEDGE_DRIVER): indexed after each green build. */
  knowledge?: Pick<Knowledge, 'indexer' | 'search'>;
}

/**
 * Builds every step on one runtime: the AWS handlers (lambdas/handlers/engineering/) each take
 * theirs, the local stack hands all of them to its Step Functions runner. Payloads are the
 * state machine's `Payload` objects; each step validates what it reads.
 */
export function buildEngineeringSteps(
  runtime: Pick<Runtime, 'store' | 'queue' | 'config'>,
  ports: EngineeringStepPorts,
): Record<EngineeringStepName, StepHandler> {
  const { store } = runtime;
  const documents = new PipelineDocuments(store);
  const runs = new RunRecords(store);
  const projects = new ProjectRepository(store);
  const projectService = new ProjectService(projects);
  const usage = new UsageLedger(store, runtime.config.llm.prices);
  const escalations = new Escalations(store);
  const budgets = budgetsFor(runtime, usage);
  const gitHost = (): GitHost => {
    if (!ports.gitHost)
      throw new Error('No git host is configured (GIT_HOST_DRIVER): see the README, GitHub App');
    return ports.gitHost;
  };
  return {
    'notify-owner': async (payload) => {
      await notifyOwnerStep(
        {
          queue: runtime.queue,
          projects: projectService,
          runs,
          deploys: new RunRecords(store, 'devops'),
          secretRequests: new SecretRequests(store),
          documents,
          ...(ports.gitHost ? { gitHost: ports.gitHost } : {}),
        },
        payload as NotifyInput,
      );
      return { notified: true };
    },
    analyst: (payload) =>
      writeSpecStep(
        {
          model: ports.model(),
          documents,
          usage,
          ...(ports.knowledge ? { knowledge: { search: ports.knowledge.search, projects, runs } } : {}),
        },
        payload as { run: RunRef; requestRef: string },
      ),
    architect: (payload) =>
      prepareRepositoryStep(
        { gitHost: gitHost(), projects, projectService, runs, documents },
        payload as { run: RunRef; specRef: string; runNumber?: number },
      ),
    'record-attempt': (payload) =>
      recordAttemptStep(
        { runs, documents, usage },
        payload as { run: RunRef; attempt: number; developer: unknown; tester: unknown },
      ),
    escalate: (payload) =>
      escalateStep(
        { escalations, runs, chat: ports.chat },
        payload as { run: RunRef; attempt: number; reportRef?: string; taskToken: string },
      ),
    'check-budget': (payload) => checkBudgetStep({ budgets }, payload as { run: RunRef }),
    'ask-budget': (payload) =>
      askBudgetStep(
        { questions: new BudgetQuestions(store), budgets, chat: ports.chat },
        payload as { run: RunRef; taskToken: string },
      ),
    'stop-workers': async (payload) => {
      const { taskGroup } = payload as { taskGroup: string };
      return { stopped: await ports.workerTasks.stopGroup(taskGroup, 'the run failed or timed out') };
    },
    'start-deploy': async (payload) => {
      const { run } = payload as { run: RunRef };
      const project = await projects.get(run.projectId);
      if (!project) throw new Error(`Project ${run.projectId} not found`);
      const devops = new DevopsService({
        pipelines: ports.pipelines,
        deploys: new RunRecords(store, 'devops'),
        builds: runs,
        requests: new SecretRequests(store),
      });
      const deploy = await devops.start(project, run.chatId);
      return { runName: deploy.runName };
    },
    'index-knowledge': (payload) =>
      indexKnowledgeStep(
        {
          projects,
          ...(ports.knowledge
            ? {
                indexing: new ProjectIndexing({
                  gitHost: gitHost(),
                  indexer: ports.knowledge.indexer,
                  runs,
                  documents,
                  store,
                }),
              }
            : {}),
        },
        payload as { run: RunRef; commit?: string | null },
      ),
    'job-context': (payload) =>
      jobContextStep(
        {
          pipelines: ports.pipelines,
          runs,
          gitHost: gitHost(),
          documents,
          ...(ports.knowledge ? { knowledge: { search: ports.knowledge.search, projects } } : {}),
        },
        payload as JobContextRequest,
      ),
  };
}
