import { AccessControl } from '../domain/access/access-control.ts';
import { UserDirectory } from '../domain/access/user-directory.ts';
import { ApiKeys } from '../domain/api-keys/api-keys.ts';
import { TokenBuckets } from '../domain/api-keys/rate-limiter.ts';
import { ChatSecretVault } from '../domain/chat-secrets/chat-secret-vault.ts';
import { DevopsService } from '../domain/deploys/devops-service.ts';
import { SecretRequests } from '../domain/deploys/secret-requests.ts';
import { DomainError } from '../domain/errors.ts';
import { PipelineDocuments } from '../domain/pipelines/documents.ts';
import { EngineeringService } from '../domain/pipelines/engineering-service.ts';
import { Escalations } from '../domain/pipelines/escalations.ts';
import { RunRecords } from '../domain/pipelines/run-records.ts';
import { ProjectRepository } from '../domain/projects/project-repository.ts';
import { ProjectService } from '../domain/projects/project-service.ts';
import { UsageLedger } from '../domain/usage/usage-ledger.ts';
import type { ApiCaller, ApiServices } from '../handlers/api/api-services.ts';
import { API_ROUTES } from '../handlers/api/routes.ts';
import { API_SCHEMAS } from '../handlers/api/schemas.ts';
import type { PipelineGraphs } from '../inspector/pipeline-graphs.ts';
import { RunAlreadyExistsError, RunNotFoundError, TaskTokenError } from '../ports/pipelines.ts';
import { lazy } from '../runtime/lazy.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { type ApiApp, createApiApp } from './api/api-app.ts';
import { openApiDocument } from './api/openapi.ts';
import { type Problem, problem } from './api/problem.ts';
import { buildDeploymentResources } from './deployment-resources-wiring.ts';

/** The domain services of the admin API on a runtime's ports, built as the bot's wiring builds them. */
export function buildApiServices(
  runtime: Pick<Runtime, 'config' | 'store' | 'secrets' | 'pipelines'>,
  pollMs = 1000,
  pipelineGraphs?: () => Promise<PipelineGraphs>,
): ApiServices {
  const { config, store, pipelines } = runtime;
  const directory = new UserDirectory(store);
  const { inventory, pool, resources } = buildDeploymentResources(runtime);
  const vault = new ChatSecretVault(runtime.secrets, config.projectSecretsPrefix);
  const projectRecords = new ProjectRepository(store);
  const builds = new RunRecords(store, 'engineering');
  const deploys = new RunRecords(store, 'devops');
  return {
    projects: new ProjectService(projectRecords, undefined, { resources, secrets: vault }),
    projectRecords,
    users: directory,
    usage: new UsageLedger(store, config.llm.prices),
    apiKeys: apiKeysOf(runtime),
    builds,
    deploys,
    resources,
    servers: inventory,
    botPool: pool,
    pollMs,
    ...(pipelineGraphs ? { pipelineGraphs: lazy(pipelineGraphs) } : {}),
    ...(pipelines
      ? {
          pipelines,
          engineering: new EngineeringService({
            pipelines,
            runs: builds,
            documents: new PipelineDocuments(store),
            escalations: new Escalations(store),
          }),
          devops: new DevopsService({ pipelines, deploys, builds, requests: new SecretRequests(store) }),
        }
      : {}),
  };
}

/** The API keys, acting as their owners with the rights AccessControl gives them now. */
export function apiKeysOf(runtime: Pick<Runtime, 'config' | 'store'>): ApiKeys {
  return new ApiKeys(
    runtime.store,
    new AccessControl(runtime.config.adminIds, new UserDirectory(runtime.store)),
  );
}

export const API_INFO = {
  title: 'Codegen orchestrator admin API',
  version: '1',
  description:
    'Projects, pipeline runs, deploys, deployment resources, usage and API keys. Every route but this document ' +
    'needs an API key; a key acts as its owner, with their rights. Errors are RFC 9457 problem documents.',
};

/** The admin API: routes over the domain services, API keys, the per-key token bucket, problems. */
export function buildAdminApi(
  runtime: Pick<Runtime, 'config' | 'store' | 'secrets' | 'pipelines' | 'logger'>,
  options: {
    basePath?: string;
    pollMs?: number;
    serverUrl?: string;
    /** The pipelines' graphs for the run inspector's data routes (the Lambda: from its bundle). */
    pipelineGraphs?: () => Promise<PipelineGraphs>;
  } = {},
): ApiApp {
  const keys = apiKeysOf(runtime);
  const buckets = new TokenBuckets(runtime.store, runtime.config.api);
  let services: ApiServices | undefined;
  let document: Record<string, unknown> | undefined;
  return createApiApp<ApiServices, ApiCaller>({
    routes: API_ROUTES,
    basePath: options.basePath ?? '',
    services: () => {
      services ??= buildApiServices(runtime, options.pollMs, options.pipelineGraphs);
      return services;
    },
    async authenticate(secret) {
      if (!secret)
        return { ok: false, status: 401, detail: 'Send an API key as Authorization: Bearer <key>.' };
      const result = await keys.authenticate(secret);
      switch (result.kind) {
        case 'valid':
          return {
            ok: true,
            auth: { principal: result.principal, keyId: result.key.id },
            bucket: result.key.id,
          };
        case 'unknown':
          return { ok: false, status: 401, detail: 'This API key is not known.' };
        case 'revoked':
          return { ok: false, status: 403, detail: `API key ${result.key.id} is revoked.` };
        case 'owner_gone':
          return {
            ok: false,
            status: 403,
            detail: `The owner of API key ${result.key.id} is no longer admitted.`,
          };
      }
    },
    rateLimit: (bucket) => buckets.take(bucket),
    mapError: problemOf,
    openApi: () => {
      document ??= openApiDocument(API_ROUTES, API_INFO, API_SCHEMAS, options.serverUrl);
      return document;
    },
    logger: runtime.logger,
  });
}

/** The domain's own errors as problems; anything else is left to the 500 that says nothing. */
export function problemOf(error: unknown): Problem | undefined {
  if (error instanceof DomainError) {
    const status = { not_found: 404, forbidden: 403, invalid: 422, conflict: 409 }[error.code];
    return problem(status, error.message);
  }
  if (error instanceof RunNotFoundError) return problem(404, 'Run not found.');
  if (error instanceof TaskTokenError) return problem(409, 'The run is no longer waiting for that answer.');
  if (error instanceof RunAlreadyExistsError)
    return problem(409, 'A run of that name exists with another input.');
  return undefined;
}
