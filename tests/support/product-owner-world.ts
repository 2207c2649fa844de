import { UserDirectory } from '../../lambdas/domain/access/user-directory.ts';
import type { AgentServices } from '../../lambdas/domain/agent/agent-services.ts';
import type { AgentState } from '../../lambdas/domain/agent/agent-state.ts';
import { productOwnerCapabilities } from '../../lambdas/domain/agent/capabilities.ts';
import { type CrashPoints, NO_CRASHES } from '../../lambdas/domain/agent/crash-points.ts';
import { type AgentLimits, ProductOwner } from '../../lambdas/domain/agent/product-owner.ts';
import type { BotIdentityLookup } from '../../lambdas/domain/chat-secrets/bot-token-verifier.ts';
import { ChatSecretVault } from '../../lambdas/domain/chat-secrets/chat-secret-vault.ts';
import type { IntakeDeps } from '../../lambdas/domain/chat-secrets/secret-intake.ts';
import { CheckpointStore } from '../../lambdas/domain/conversations/checkpoint-store.ts';
import { ConversationLeases } from '../../lambdas/domain/conversations/conversation-lease.ts';
import { ToolJournal } from '../../lambdas/domain/conversations/tool-journal.ts';
import { BotPool } from '../../lambdas/domain/deploys/bot-pool.ts';
import { DeploymentResources } from '../../lambdas/domain/deploys/deployment-resources.ts';
import { PortAllocator } from '../../lambdas/domain/deploys/port-allocator.ts';
import { ServerInventory } from '../../lambdas/domain/deploys/server-inventory.ts';
import { ProjectRepository } from '../../lambdas/domain/projects/project-repository.ts';
import { ProjectService } from '../../lambdas/domain/projects/project-service.ts';
import type { PriceTable } from '../../lambdas/domain/usage/price-table.ts';
import { UsageLedger } from '../../lambdas/domain/usage/usage-ledger.ts';
import type { ChatChannel } from '../../lambdas/ports/chat.ts';
import type { LanguageModel } from '../../lambdas/ports/language-model.ts';
import { createLogger } from '../../lambdas/shared/logger.ts';
import { MemorySecrets } from './memory-secrets.ts';
import { ManualClock, MemoryStore } from './memory-store.ts';

/**
 * The Product Owner's services on in-memory ports, all on one manual clock, so a test can build
 * the agent (or several, as successive "processes") over the same state.
 */
export interface AgentWorld {
  clock: ManualClock;
  store: MemoryStore;
  secrets: MemorySecrets;
  chat: ChatChannel;
  directory: UserDirectory;
  projects: ProjectService;
  vault: ChatSecretVault;
  usage: UsageLedger;
  leases: ConversationLeases;
  checkpoints: CheckpointStore<AgentState>;
  journal: ToolJournal;
  /** Deployment resources, as product-owner-wiring.ts builds them. */
  servers: ServerInventory;
  botPool: BotPool;
  resources: DeploymentResources;
  date: () => Date;
}

export const LEASE_SECONDS = 60;
export const CHECKPOINT_TTL_SECONDS = 30 * 24 * 3600;

export const TEST_LIMITS: AgentLimits = {
  maxIterations: 8,
  maxTokensPerRequest: 60_000,
  summariseAfterMessages: 40,
  keepRecentMessages: 16,
  confirmationTtlSeconds: 3600,
  awaitSecretTtlSeconds: 900,
  modelCallReserveMs: 60_000,
};

export function agentWorld(options: {
  chat: ChatChannel;
  prices?: PriceTable;
  clock?: ManualClock;
  /** A store on the same clock, when the test owns one already. */
  store?: MemoryStore;
}): AgentWorld {
  const clock = options.clock ?? new ManualClock();
  const store = options.store ?? new MemoryStore({ now: clock.now });
  const secrets = new MemorySecrets();
  const date = () => new Date(clock.now() * 1000);
  const vault = new ChatSecretVault(secrets);
  const servers = new ServerInventory(store, secrets, { keyPrefix: 'orchestrator/servers/', now: date });
  const botPool = new BotPool(store, secrets, { tokenPrefix: 'orchestrator/bot-pool/', now: date });
  const resources = new DeploymentResources({
    store,
    inventory: servers,
    ports: new PortAllocator(store),
    pool: botPool,
  });
  return {
    clock,
    store,
    secrets,
    chat: options.chat,
    directory: new UserDirectory(store),
    projects: new ProjectService(new ProjectRepository(store), date, { resources, secrets: vault }),
    vault,
    servers,
    botPool,
    resources,
    usage: new UsageLedger(store, options.prices ?? {}, date),
    leases: new ConversationLeases(store, LEASE_SECONDS, clock.now),
    checkpoints: new CheckpointStore<AgentState>(store, CHECKPOINT_TTL_SECONDS, clock.now),
    journal: new ToolJournal(store, CHECKPOINT_TTL_SECONDS, clock.now),
    date,
  };
}

export function productOwnerIn(
  world: AgentWorld,
  models: { intent: LanguageModel; agent: LanguageModel },
  options: {
    limits?: Partial<AgentLimits>;
    crashPoints?: CrashPoints;
    remainingMs?: () => number | undefined;
    /** Services besides the world's, e.g. the botLookup add_pool_bot asks. */
    services?: Partial<AgentServices>;
  } = {},
): ProductOwner {
  return new ProductOwner({
    intentModel: models.intent,
    agentModel: models.agent,
    registry: productOwnerCapabilities(),
    leases: world.leases,
    checkpoints: world.checkpoints,
    journal: world.journal,
    services: {
      projects: world.projects,
      chat: world.chat,
      vault: world.vault,
      users: world.directory,
      usage: world.usage,
      resources: world.resources,
      servers: world.servers,
      botPool: world.botPool,
      ...options.services,
    },
    limits: { ...TEST_LIMITS, ...options.limits },
    crashPoints: options.crashPoints ?? NO_CRASHES,
    logger: createLogger('product-owner-test'),
    now: world.date,
    ...(options.remainingMs ? { remainingMs: options.remainingMs } : {}),
  });
}

export function intakeIn(world: AgentWorld, botLookup: BotIdentityLookup): IntakeDeps {
  return {
    vault: world.vault,
    leases: world.leases,
    projects: world.projects,
    chat: world.chat,
    botLookup,
    now: world.clock.now,
  };
}
