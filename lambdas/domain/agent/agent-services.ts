import type { ChatChannel } from '../../ports/chat.ts';
import type { UserDirectory } from '../access/user-directory.ts';
import type { ApiKeys } from '../api-keys/api-keys.ts';
import type { BotIdentityLookup } from '../chat-secrets/bot-token-verifier.ts';
import type { ChatSecretVault } from '../chat-secrets/chat-secret-vault.ts';
import type { BotPool } from '../deploys/bot-pool.ts';
import type { DeploymentResources } from '../deploys/deployment-resources.ts';
import type { DevopsService } from '../deploys/devops-service.ts';
import type { ServerInventory } from '../deploys/server-inventory.ts';
import type { ConversationSummaries } from '../knowledge/conversation-summaries.ts';
import type { KnowledgeSearch } from '../knowledge/knowledge-search.ts';
import type { OperationsRecords } from '../operations/operations-records.ts';
import type { EngineeringService } from '../pipelines/engineering-service.ts';
import type { ProjectService } from '../projects/project-service.ts';
import type { Reminders } from '../reminders/reminders.ts';
import type { Budgets } from '../usage/budgets.ts';
import type { UsageLedger } from '../usage/usage-ledger.ts';

/** What tools may use. Each is a domain service on ports; none knows where it runs. */
export interface AgentServices {
  projects: ProjectService;
  chat: ChatChannel;
  vault: ChatSecretVault;
  users: UserDirectory;
  usage: UsageLedger;
  /** Monthly budgets; absent, nothing is checked (turns are not gated, /usage shows no limits). */
  budgets?: Budgets;
  /** One-off reminders; absent where no scheduler is configured (the tools then say so). */
  reminders?: Reminders;
  /** Absent where no pipeline is configured: the tools then say plainly that nothing ran. */
  engineering?: EngineeringService;
  devops?: DevopsService;
  /** Deployment resources; absent where none are configured: the tools then say so. */
  resources?: DeploymentResources;
  servers?: ServerInventory;
  botPool?: BotPool;
  /** What the scheduled jobs recorded about a project (repository sync, health checks). */
  operations?: OperationsRecords;
  /** The admin API's keys (admins create, rotate and revoke them); absent: the tools say so. */
  apiKeys?: ApiKeys;
  /** Asks Telegram whose a bot token is (getMe) before a pool bot is added. */
  botLookup?: BotIdentityLookup;
  /** Search over each project's docs, code and run history; absent where no index is configured. */
  knowledge?: KnowledgeSearch;
  /** Keeps each conversation summary with the project it was about, for its knowledge's history. */
  conversationSummaries?: Pick<ConversationSummaries, 'keep'>;
}
