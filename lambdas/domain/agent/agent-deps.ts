import type { LanguageModel } from '../../ports/language-model.ts';
import type { Telemetry } from '../../ports/telemetry.ts';
import type { Logger } from '../../shared/logger.ts';
import type { CheckpointStore } from '../conversations/checkpoint-store.ts';
import type { ConversationLeases } from '../conversations/conversation-lease.ts';
import type { ToolJournal } from '../conversations/tool-journal.ts';
import type { AgentServices } from './agent-services.ts';
import type { AgentState } from './agent-state.ts';
import type { CapabilityRegistry } from './capability-registry.ts';
import type { CrashPoints } from './crash-points.ts';

export interface AgentLimits {
  maxIterations: number;
  maxTokensPerRequest: number;
  summariseAfterMessages: number;
  keepRecentMessages: number;
  confirmationTtlSeconds: number;
  awaitSecretTtlSeconds: number;
  /** Time a model call may need (with its retries); with less left, the turn pauses. */
  modelCallReserveMs: number;
}

/** What the Product Owner and the turn runner it drives are built from. */
export interface ProductOwnerDeps {
  intentModel: LanguageModel;
  agentModel: LanguageModel;
  registry: CapabilityRegistry;
  leases: ConversationLeases;
  checkpoints: CheckpointStore<AgentState>;
  journal: ToolJournal;
  services: AgentServices;
  limits: AgentLimits;
  crashPoints: CrashPoints;
  logger: Logger;
  now?: () => Date;
  telemetry?: Telemetry;
  /** Milliseconds the current invocation has left, if it has a deadline. */
  remainingMs?: () => number | undefined;
}
