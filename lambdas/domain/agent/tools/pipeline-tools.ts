import * as z from 'zod';
import { defineTool } from '../agent-tool.ts';
import { projectName } from '../tool-results.ts';

const projectRef = z.object({ project: z.string().min(1).max(80) });

export const startEngineering = defineTool({
  name: 'start_engineering',
  description:
    'Start the engineering pipeline (analyst, architect, developer, tester) for a project: the first ' +
    'run builds its repository, a later one makes the change in `request` on a branch and a pull ' +
    'request. The person is told as it goes. Costly.',
  input: z.object({
    project: z.string().min(1).max(80),
    request: z.string().min(3).max(4000).optional(),
    deployAfter: z
      .boolean()
      .optional()
      .describe('Deploy it as soon as it is built and tested (the person asked to build and deploy).'),
  }),
  idempotent: true,
  async confirmation({ project, deployAfter }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    return deployAfter
      ? `Start building ${target.name} and deploy it when its tests pass? This runs the AI engineering pipeline, costs model tokens, and changes a running server.`
      : `Start building ${target.name}? This runs the AI engineering pipeline and costs model tokens.`;
  },
  async run({ project, request, deployAfter }, { principal, chatId, services }) {
    const target = await services.projects.get(principal, project);
    if (!services.engineering) {
      return {
        result: { kind: 'pipeline_not_available', pipeline: 'engineering', project: projectName(target) },
        projectId: target.id,
      };
    }
    const run = await services.engineering.start(target, chatId, request, {
      deployAfter: deployAfter === true,
    });
    await services.projects.markStatus(target.id, 'engineering');
    return {
      result: {
        kind: 'run_started',
        pipeline: 'engineering',
        project: projectName(target),
        runName: run.runName,
      },
      projectId: target.id,
    };
  },
});

export const triggerDeploy = defineTool({
  name: 'trigger_deploy',
  description: 'Deploy a project to its server through the devops pipeline. Changes a running server.',
  input: projectRef,
  idempotent: true,
  async confirmation({ project }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    return `Deploy ${target.name} to its server now?`;
  },
  async run({ project }, { principal, chatId, services }) {
    const target = await services.projects.get(principal, project);
    if (!services.devops) {
      return {
        result: { kind: 'pipeline_not_available', pipeline: 'devops', project: projectName(target) },
        projectId: target.id,
      };
    }
    const run = await services.devops.start(target, chatId);
    return {
      result: { kind: 'run_started', pipeline: 'devops', project: projectName(target), runName: run.runName },
      projectId: target.id,
    };
  },
});

export const runStatus = defineTool({
  name: 'run_status',
  description: 'Status of the latest engineering or deploy run of a project.',
  input: projectRef,
  idempotent: true,
  async run({ project }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    const [run, deploy] = await Promise.all([
      services.engineering?.latest(target),
      services.devops?.latest(target),
    ]);
    return {
      result:
        run || deploy
          ? {
              kind: 'run_status',
              project: projectName(target),
              ...(run ? { run } : {}),
              ...(deploy ? { deploy } : {}),
            }
          : { kind: 'no_runs', project: projectName(target) },
      projectId: target.id,
    };
  },
});

export const approveEscalation = defineTool({
  name: 'approve_escalation',
  description:
    'Answer a run that stopped after three red attempts and waits for its owner: try_again (three more ' +
    'attempts) or give_up.',
  input: z.object({
    project: z.string().min(1).max(80),
    decision: z.enum(['try_again', 'give_up']).default('try_again'),
  }),
  idempotent: true,
  async run({ project, decision }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    const escalation = await services.engineering?.openEscalationOf(target);
    const outcome = escalation
      ? await services.engineering?.decide(principal, escalation, decision)
      : undefined;
    return {
      result:
        outcome === 'accepted'
          ? { kind: 'escalation_answered', project: projectName(target), decision }
          : { kind: 'nothing_to_approve', project: projectName(target) },
      projectId: target.id,
    };
  },
});

export const ENGINEERING_TOOLS = [startEngineering, runStatus, approveEscalation];
export const DEPLOY_TOOLS = [triggerDeploy, runStatus];
