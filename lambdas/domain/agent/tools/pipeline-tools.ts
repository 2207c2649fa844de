import * as z from 'zod';
import { defineTool } from '../agent-tool.ts';
import { projectName } from '../tool-results.ts';

// The engineering and devops pipelines arrive in their own issues. Until then these tools are
// real (tenancy, confirmation, journal) but report plainly that nothing was started.

const projectRef = z.object({ project: z.string().min(1).max(80) });

export const startEngineering = defineTool({
  name: 'start_engineering',
  description:
    'Start the engineering pipeline (analyst, architect, developer, tester) for a project. Costly.',
  input: projectRef,
  idempotent: true,
  async confirmation({ project }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    return `Start building ${target.name}? This runs the AI engineering pipeline and costs model tokens.`;
  },
  async run({ project }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    return {
      result: { kind: 'pipeline_not_available', pipeline: 'engineering', project: projectName(target) },
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
  async run({ project }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    return {
      result: { kind: 'pipeline_not_available', pipeline: 'devops', project: projectName(target) },
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
    return { result: { kind: 'no_runs', project: projectName(target) } };
  },
});

export const approveEscalation = defineTool({
  name: 'approve_escalation',
  description: 'Approve a step a pipeline escalated to a human (e.g. merging a breaking change).',
  input: projectRef,
  idempotent: true,
  async run({ project }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    return { result: { kind: 'nothing_to_approve', project: projectName(target) } };
  },
});

export const ENGINEERING_TOOLS = [startEngineering, runStatus, approveEscalation];
export const DEPLOY_TOOLS = [triggerDeploy, runStatus];
