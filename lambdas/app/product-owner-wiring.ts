import type { Api } from 'grammy';
import { TelegramBotLookup } from '../adapters/telegram/telegram-bot-lookup.ts';
import { TelegramChat } from '../adapters/telegram/telegram-chat.ts';
import type { AgentFeatures } from '../bot/consumer-bot.ts';
import { AccessControl } from '../domain/access/access-control.ts';
import type { UserDirectory } from '../domain/access/user-directory.ts';
import type { AgentState } from '../domain/agent/agent-state.ts';
import { productOwnerCapabilities } from '../domain/agent/capabilities.ts';
import { crashPointsFrom } from '../domain/agent/crash-points.ts';
import { ProductOwner } from '../domain/agent/product-owner.ts';
import { ApiKeys } from '../domain/api-keys/api-keys.ts';
import { ChatSecretVault } from '../domain/chat-secrets/chat-secret-vault.ts';
import type { IntakeDeps } from '../domain/chat-secrets/secret-intake.ts';
import { CheckpointStore } from '../domain/conversations/checkpoint-store.ts';
import { ConversationLeases } from '../domain/conversations/conversation-lease.ts';
import { ToolJournal } from '../domain/conversations/tool-journal.ts';
import { DevopsService } from '../domain/deploys/devops-service.ts';
import { SecretRequests } from '../domain/deploys/secret-requests.ts';
import { ConversationSummaries } from '../domain/knowledge/conversation-summaries.ts';
import { OperationsRecords } from '../domain/operations/operations-records.ts';
import { BudgetQuestions, RunBudgetDecisions } from '../domain/pipelines/budget-questions.ts';
import { PipelineDocuments } from '../domain/pipelines/documents.ts';
import { EngineeringService } from '../domain/pipelines/engineering-service.ts';
import { Escalations } from '../domain/pipelines/escalations.ts';
import { RunRecords } from '../domain/pipelines/run-records.ts';
import { ProjectRepository } from '../domain/projects/project-repository.ts';
import { ProjectService } from '../domain/projects/project-service.ts';
import { Reminders } from '../domain/reminders/reminders.ts';
import { UsageLedger } from '../domain/usage/usage-ledger.ts';
import { buildModels } from '../runtime/build-models.ts';
import { remainingMs } from '../runtime/invocation-deadline.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { budgetsFor } from './budgets-wiring.ts';
import { buildDeploymentResources } from './deployment-resources-wiring.ts';
import { buildServiceRecovery } from './service-recovery-wiring.ts';

/** Assembles the Product Owner agent and its services from a runtime's ports. */
export function wireProductOwner(runtime: Runtime, api: Api, directory: UserDirectory): AgentFeatures {
  const { config, store, logger } = runtime;
  const chat = new TelegramChat(api);
  const vault = new ChatSecretVault(runtime.secrets, config.projectSecretsPrefix);
  const { inventory: servers, pool: botPool, resources } = buildDeploymentResources(runtime);
  // Deleting a project gives back its port and pool bot and deletes its secrets.
  const projects = new ProjectService(new ProjectRepository(store), undefined, { resources, secrets: vault });
  const botLookup = new TelegramBotLookup(config.telegramApiRoot);
  const usage = new UsageLedger(store, config.llm.prices);
  const budgets = budgetsFor(runtime, usage);
  const leases = new ConversationLeases(store, config.agent.leaseSeconds);
  const models = buildModels(config, runtime.cachedSecrets, logger, runtime.telemetry);
  const engineering = runtime.pipelines
    ? new EngineeringService({
        pipelines: runtime.pipelines,
        runs: new RunRecords(store),
        documents: new PipelineDocuments(store),
        escalations: new Escalations(store),
      })
    : undefined;
  const devops = runtime.pipelines
    ? new DevopsService({
        pipelines: runtime.pipelines,
        deploys: new RunRecords(store, 'devops'),
        builds: new RunRecords(store, 'engineering'),
        requests: new SecretRequests(store),
      })
    : undefined;
  const secretRequests = new SecretRequests(store);
  const productOwner = new ProductOwner({
    intentModel: models.intent,
    agentModel: models.agent,
    registry: productOwnerCapabilities(),
    leases,
    checkpoints: new CheckpointStore<AgentState>(store),
    journal: new ToolJournal(store),
    services: {
      projects,
      chat,
      vault,
      users: directory,
      usage,
      budgets,
      ...(runtime.scheduler ? { reminders: new Reminders(store, runtime.scheduler) } : {}),
      resources,
      servers,
      botPool,
      botLookup,
      operations: new OperationsRecords(store),
      apiKeys: new ApiKeys(store, new AccessControl(config.adminIds, directory)),
      ...(engineering ? { engineering } : {}),
      ...(devops ? { devops } : {}),
      ...(runtime.knowledge
        ? {
            knowledge: runtime.knowledge.search,
            conversationSummaries: new ConversationSummaries({
              projects: new ProjectRepository(store),
              documents: new PipelineDocuments(store),
            }),
          }
        : {}),
    },
    limits: {
      maxIterations: config.agent.maxIterations,
      maxTokensPerRequest: config.agent.maxTokensPerRequest,
      summariseAfterMessages: 40,
      keepRecentMessages: 16,
      confirmationTtlSeconds: 24 * 3600,
      awaitSecretTtlSeconds: 15 * 60,
      // One model call with its retries (LLM_TIMEOUT_SECONDS per attempt) plus the tools after it.
      modelCallReserveMs: config.llm.timeoutMs + 30_000,
    },
    crashPoints: crashPointsFrom(
      config.agent.faultInjection,
      config.agent.faultMode === 'kill' ? () => process.kill(process.pid, 'SIGKILL') : undefined,
    ),
    telemetry: runtime.telemetry,
    remainingMs,
    logger,
  });
  const intake: IntakeDeps = {
    telemetry: runtime.telemetry,
    vault,
    leases,
    projects,
    chat,
    botLookup,
    ...(devops
      ? {
          pipelineSecrets: {
            awaited: (chatId: number) => secretRequests.forChat(chatId),
            stored: (principal, chatId, projectId, key) =>
              devops.secretStored(principal, chatId, projectId, key),
          },
        }
      : {}),
  };
  const offline = models.agent.provider === 'offline';
  const recovery = runtime.pipelines
    ? buildServiceRecovery({ store, pipelines: runtime.pipelines, chat })
    : undefined;
  const projectById = (id: string) => new ProjectRepository(store).get(id);
  const runBudgets = runtime.pipelines
    ? new RunBudgetDecisions({ questions: new BudgetQuestions(store), budgets, pipelines: runtime.pipelines })
    : undefined;
  return {
    productOwner,
    intake,
    usage,
    budgets,
    offline,
    projectById,
    ...(engineering ? { engineering } : {}),
    ...(recovery ? { recovery } : {}),
    ...(runBudgets ? { runBudgets } : {}),
  };
}
