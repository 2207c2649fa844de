import { type Api, Bot, session } from 'grammy';
import type { UserFromGetMe } from 'grammy/types';
import type { AccessControl } from '../domain/access/access-control.ts';
import type { UserDirectory } from '../domain/access/user-directory.ts';
import type { ProductOwner } from '../domain/agent/product-owner.ts';
import type { IntakeDeps } from '../domain/chat-secrets/secret-intake.ts';
import type { ServiceRecovery } from '../domain/operations/service-recovery.ts';
import type { RunBudgetDecisions } from '../domain/pipelines/budget-questions.ts';
import type { EngineeringService } from '../domain/pipelines/engineering-service.ts';
import type { Project } from '../domain/projects/project.ts';
import { type ChatSession, newChatSession } from '../domain/sessions/chat-session.ts';
import type { SessionRepository } from '../domain/sessions/session-repository.ts';
import type { Budgets } from '../domain/usage/budgets.ts';
import type { UsageLedger } from '../domain/usage/usage-ledger.ts';
import type { Telemetry } from '../ports/telemetry.ts';
import type { Logger } from '../shared/logger.ts';
import type { BotContext } from './context.ts';
import { accessGuard } from './features/access-guard.ts';
import { budgetButtons } from './features/budget-buttons.ts';
import { confirmations } from './features/confirmations.ts';
import { escalationButtons } from './features/escalation-buttons.ts';
import { fixOfferButtons } from './features/fix-offer-buttons.ts';
import { productOwnerChat } from './features/product-owner-chat.ts';
import { secretsOutsideText } from './features/secrets-outside-text.ts';
import { usageReport } from './features/usage-report.ts';
import { userAdmin } from './features/user-admin.ts';
import { welcome } from './features/welcome.ts';

export interface ConsumerBotDeps {
  token: string;
  botInfo: UserFromGetMe;
  apiRoot: string;
  access: AccessControl;
  directory: UserDirectory;
  sessions: SessionRepository<ChatSession>;
  /** Builds the agent on this bot's API client, so its messages go out through the same client. */
  agent: (api: Api) => AgentFeatures;
  logger: Logger;
  telemetry?: Telemetry;
}

export interface AgentFeatures {
  productOwner: ProductOwner;
  intake: IntakeDeps;
  usage: UsageLedger;
  /** Monthly budgets, shown by /usage. */
  budgets?: Budgets;
  /** The engineering pipeline, where one is configured. */
  engineering?: EngineeringService;
  /** Self-recovery of deployed services, where pipelines are configured. */
  recovery?: ServiceRecovery;
  /** Reads a project by id (the fix offer's buttons name one). */
  projectById?: (id: string) => Promise<Project | undefined>;
  /** Answers to runs paused at a budget, where pipelines are configured. */
  runBudgets?: RunBudgetDecisions;
  /** The agent runs on the offline model: /help says so. */
  offline: boolean;
}

/** The bot that answers queued updates. Features are installed here, in order, and nowhere else. */
export function createConsumerBot(deps: ConsumerBotDeps): Bot<BotContext> {
  const bot = new Bot<BotContext>(deps.token, { botInfo: deps.botInfo, client: { apiRoot: deps.apiRoot } });
  bot.use(accessGuard(deps.access, deps.logger, deps.telemetry));
  bot.use(
    session({
      initial: () => newChatSession(new Date()),
      getSessionKey: (ctx) => (ctx.chat ? String(ctx.chat.id) : undefined),
      storage: deps.sessions,
    }),
  );
  const agent = deps.agent(bot.api);
  bot.use(welcome(agent.offline));
  bot.use(userAdmin(deps.directory, deps.access));
  bot.use(usageReport(agent.usage, agent.budgets));
  // Before confirmations, whose catch-all answers every other button as no longer valid.
  bot.use(escalationButtons(agent.engineering));
  bot.use(fixOfferButtons(agent.recovery, { get: agent.projectById ?? (async () => undefined) }));
  bot.use(budgetButtons(agent.runBudgets));
  bot.use(confirmations(agent.productOwner));
  bot.use(secretsOutsideText(agent.productOwner, agent.intake));
  bot.use(productOwnerChat(agent.productOwner, agent.intake));
  return bot;
}
