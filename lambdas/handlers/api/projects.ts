import { randomUUID } from 'node:crypto';
import * as z from 'zod';
import { allocationFacts } from '../../domain/agent/resource-facts.ts';
import type { ApiServices } from './api-services.ts';
import { need, route, visibleProject } from './route-support.ts';
import { runView } from './run-views.ts';

const projectParam = z.object({ project: z.string().min(1).max(80).describe('Project id or name') });

// Words that name no project ("a quote bot with a quote of the day" -> quote-bot).
const FILLER = new Set(
  'a an the with of for that which to and or me my our make build create write please i we want need new some daily every'.split(
    ' ',
  ),
);
const KINDS = new Set(['bot', 'app', 'api', 'service', 'site', 'website', 'tool', 'dashboard', 'server']);

/** A project name from a description: its first meaningful words, up to what kind of thing it is. */
export function nameFromDescription(description: string): string {
  const words = description
    .toLowerCase()
    .normalize('NFKD')
    .split(/[^a-z0-9]+/)
    .filter((w) => w && !FILLER.has(w));
  const kindAt = words.slice(0, 4).findIndex((w) => KINDS.has(w));
  const picked = kindAt >= 0 ? words.slice(0, kindAt + 1) : words.slice(0, 3);
  const name = picked.join('-').slice(0, 40).replace(/-+$/, '');
  return name.length >= 3 ? name : `${name || 'new'}-project`;
}

async function latest(services: ApiServices, records: ApiServices['builds'], projectId: string) {
  const record = (await records.list(projectId)).at(-1);
  if (!record || !services.pipelines) return undefined;
  return runView(services.pipelines, record, { history: await services.pipelines.history(record.runId) });
}

export const PROJECT_ROUTES = [
  route({
    method: 'GET',
    path: '/projects',
    operationId: 'listProjects',
    summary: 'Projects: the caller’s, or (admins, scope=all) everyone’s',
    tag: 'projects',
    query: z.object({ scope: z.enum(['mine', 'all']).default('mine') }),
    responses: { 200: { description: 'The projects', schema: 'ProjectList' } },
    async handle({ auth, query }, services) {
      return { status: 200, body: { projects: await services.projects.list(auth.principal, query.scope) } };
    },
  }),
  route({
    method: 'POST',
    path: '/projects',
    operationId: 'createProject',
    summary: 'Create a project from a description of what to build',
    tag: 'projects',
    body: z.object({
      description: z.string().min(3).max(4000).describe('What to build, in the person’s words'),
      name: z.string().min(3).max(60).optional().describe('Default: made from the description'),
    }),
    responses: { 201: { description: 'The project, as a draft', schema: 'Project' } },
    async handle({ auth, body, headers }, services) {
      // With an Idempotency-Key, a repeated create (a retry after a lost answer) gets the same project.
      const key = headers['idempotency-key']?.slice(0, 100) || randomUUID();
      const project = await services.projects.create(
        auth.principal,
        { name: body.name ?? nameFromDescription(body.description), description: body.description },
        `api:${key}`,
      );
      return { status: 201, body: { project } };
    },
  }),
  route({
    method: 'GET',
    path: '/projects/{project}',
    operationId: 'getProject',
    summary: 'A project, its latest build and deploy, and where it runs',
    tag: 'projects',
    params: projectParam,
    responses: { 200: { description: 'The project’s status', schema: 'ProjectStatus' } },
    async handle({ auth, params }, services) {
      const project = await visibleProject(services, auth, params.project);
      const [build, deploy, allocation] = await Promise.all([
        latest(services, services.builds, project.id),
        latest(services, services.deploys, project.id),
        services.resources?.of(project.id),
      ]);
      return {
        status: 200,
        body: {
          project,
          ...(build ? { build } : {}),
          ...(deploy ? { deploy } : {}),
          ...(allocation ? { allocation: allocationFacts(allocation) } : {}),
        },
      };
    },
  }),
  route({
    method: 'GET',
    path: '/projects/{project}/secrets',
    operationId: 'listProjectSecrets',
    summary: 'The names of a project’s secrets (values never leave the secrets store)',
    tag: 'projects',
    params: projectParam,
    responses: { 200: { description: 'Secret names', schema: 'SecretNames' } },
    async handle({ auth, params }, services) {
      const project = await visibleProject(services, auth, params.project);
      return { status: 200, body: { projectId: project.id, secrets: project.secretKeys } };
    },
  }),
  route({
    method: 'POST',
    path: '/projects/{project}/builds',
    operationId: 'startBuild',
    summary: 'Start the engineering pipeline: the first run builds the repository, a later one a change',
    tag: 'runs',
    params: projectParam,
    body: z.object({
      request: z.string().min(3).max(4000).optional().describe('The change to make (later runs)'),
      deployAfter: z.boolean().default(false).describe('Deploy as soon as it is built and tested'),
    }),
    responses: { 202: { description: 'The run, started', schema: 'Run' } },
    async handle({ auth, params, body }, services) {
      const engineering = need(services.engineering, 'The engineering pipeline');
      const project = await visibleProject(services, auth, params.project);
      // The owner's private chat hears how it goes, as when they ask the bot.
      const record = await engineering.start(project, project.ownerId, body.request, {
        deployAfter: body.deployAfter,
      });
      await services.projects.markStatus(project.id, 'engineering');
      return {
        status: 202,
        body: { run: await runView(need(services.pipelines, 'Pipelines'), record, { project }) },
      };
    },
  }),
  route({
    method: 'POST',
    path: '/projects/{project}/deploys',
    operationId: 'startDeploy',
    summary: 'Deploy the project’s last tested build through the devops pipeline',
    tag: 'runs',
    params: projectParam,
    responses: { 202: { description: 'The deploy, started', schema: 'Run' } },
    async handle({ auth, params }, services) {
      const devops = need(services.devops, 'The devops pipeline');
      const project = await visibleProject(services, auth, params.project);
      const record = await devops.start(project, project.ownerId);
      return {
        status: 202,
        body: { run: await runView(need(services.pipelines, 'Pipelines'), record, { project }) },
      };
    },
  }),
];
