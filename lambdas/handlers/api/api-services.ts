import type { Principal } from '../../domain/access/access-policy.ts';
import type { UserDirectory } from '../../domain/access/user-directory.ts';
import type { ApiKeys } from '../../domain/api-keys/api-keys.ts';
import type { BotPool } from '../../domain/deploys/bot-pool.ts';
import type { DeploymentResources } from '../../domain/deploys/deployment-resources.ts';
import type { DevopsService } from '../../domain/deploys/devops-service.ts';
import type { ServerInventory } from '../../domain/deploys/server-inventory.ts';
import type { EngineeringService } from '../../domain/pipelines/engineering-service.ts';
import type { RunRecords } from '../../domain/pipelines/run-records.ts';
import type { ProjectRepository } from '../../domain/projects/project-repository.ts';
import type { ProjectService } from '../../domain/projects/project-service.ts';
import type { UsageLedger } from '../../domain/usage/usage-ledger.ts';
import type { PipelineGraphs } from '../../inspector/pipeline-graphs.ts';
import type { Pipelines } from '../../ports/pipelines.ts';

/** What the admin API's routes use: the same domain services the bot's tools use. */
export interface ApiServices {
  projects: ProjectService;
  /** Only to tell someone else's project (403) from none (404); reads go through `projects`. */
  projectRecords: ProjectRepository;
  users: UserDirectory;
  usage: UsageLedger;
  apiKeys: ApiKeys;
  builds: RunRecords;
  deploys: RunRecords;
  /** Absent where no pipeline is configured: the routes that need them answer 503. */
  pipelines?: Pipelines;
  engineering?: EngineeringService;
  devops?: DevopsService;
  resources?: DeploymentResources;
  servers?: ServerInventory;
  botPool?: BotPool;
  /** How often a followed event stream reads the run's history. */
  pollMs: number;
  /** The pipelines' laid-out graphs, for the run inspector (absent: its run view answers 503). */
  pipelineGraphs?: () => Promise<PipelineGraphs>;
}

/** Who calls: the key's owner, with their rights now, and the key. */
export interface ApiCaller {
  principal: Principal;
  keyId: string;
}
