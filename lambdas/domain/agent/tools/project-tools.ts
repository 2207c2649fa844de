import * as z from 'zod';
import { defineTool } from '../agent-tool.ts';
import { allocationFacts } from '../resource-facts.ts';
import { projectFacts, projectName } from '../tool-results.ts';

const projectRef = z.string().min(1).max(80).describe('Project id or name');

export const createProject = defineTool({
  name: 'create_project',
  description: 'Create a project from what the person wants built. The name becomes the repository name.',
  input: z.object({
    name: z.string().min(3).max(60).describe('Short name, e.g. weather-bot'),
    description: z.string().min(3).max(4000).describe('What to build, in the person’s words'),
  }),
  // The project id is derived from the idempotency key: a replay finds the same project.
  idempotent: true,
  async run(input, { principal, idempotencyKey, services }) {
    const project = await services.projects.create(principal, input, idempotencyKey);
    return { result: { kind: 'project_created', project: projectFacts(project) }, projectId: project.id };
  },
});

export const listProjects = defineTool({
  name: 'list_projects',
  description: 'List projects. Admins may pass scope "all" to see every user’s projects.',
  input: z.object({ scope: z.enum(['mine', 'all']).optional() }),
  idempotent: true,
  async run({ scope }, { principal, services }) {
    const projects = await services.projects.list(principal, scope ?? 'mine');
    return { result: { kind: 'projects_listed', projects: projects.map(projectFacts) } };
  },
});

export const getProject = defineTool({
  name: 'get_project',
  description: 'Show one project and its status.',
  input: z.object({ project: projectRef }),
  idempotent: true,
  async run({ project }, { principal, services }) {
    const found = await services.projects.get(principal, project);
    // Where it runs: the project was resolved for this principal, so it is theirs (or they admin).
    const allocation = await services.resources?.of(found.id);
    const operations = await services.operations?.of(found.id);
    return {
      result: {
        kind: 'project_shown',
        project: projectFacts(found),
        ...(allocation ? { allocation: allocationFacts(allocation) } : {}),
        ...(operations && (operations.repository || operations.health) ? { operations } : {}),
      },
      projectId: found.id,
    };
  },
});

export const deleteProject = defineTool({
  name: 'delete_project',
  description:
    'Delete a project for good: its secrets and records are deleted, its server port and pool bot freed. ' +
    'Its repository is kept.',
  input: z.object({ project: projectRef }),
  idempotent: true,
  async confirmation({ project }, { principal, services }) {
    const target = await services.projects.get(principal, project);
    return `Delete ${target.name} (id ${target.id}) for good? Its secrets are deleted and its server port and bot freed; the repository is kept.`;
  },
  async run({ project }, { principal, services }) {
    const deleted = await services.projects.delete(principal, project);
    return { result: { kind: 'project_deleted', project: projectName(deleted) } };
  },
});

export const setProjectSecret = defineTool({
  name: 'set_project_secret',
  description:
    'Store a secret for a project. Pass secretRef when the person already sent the value (it appears as ' +
    '[secret:<ref>] in their message); otherwise omit it and the person will be asked to send the value, ' +
    'which is stored without you ever seeing it.',
  input: z.object({
    project: projectRef,
    key: z.string().min(1).max(64).describe('Environment variable name, e.g. TELEGRAM_BOT_TOKEN'),
    secretRef: z.string().max(32).optional(),
  }),
  idempotent: true,
  async run({ project, key, secretRef }, { principal, chatId, services }) {
    const target = await services.projects.get(principal, project);
    const updated = await services.projects.addSecretKey(principal, target.id, key);
    const storedKey = updated.secretKeys.find((k) => k === key.trim().toUpperCase()) ?? key;
    if (secretRef) {
      await services.vault.moveToProject(principal, secretRef, target.id, storedKey);
      // A deploy waiting for this key in this chat goes on.
      await services.devops?.secretStored(principal, chatId, target.id, storedKey);
      return {
        result: { kind: 'secret_stored', project: projectName(target), key: storedKey },
        projectId: target.id,
      };
    }
    return {
      result: { kind: 'secret_awaited', project: projectName(target), key: storedKey },
      control: { kind: 'await_secret', projectId: target.id, key: storedKey },
      projectId: target.id,
    };
  },
});

export const PROJECT_TOOLS = [createProject, listProjects, getProject, setProjectSecret, deleteProject];
