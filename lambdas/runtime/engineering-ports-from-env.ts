import type { EngineeringStepPorts } from '../app/engineering-steps.ts';
import { lazyTelegramChat } from './lazy-telegram-chat.ts';
import { pipelinePortsFromEnv } from './pipeline-ports-from-env.ts';
import type { Runtime } from './runtime.ts';

/**
 * The engineering steps' ports in AWS, from configuration. Each is built on first use, so a step
 * that does not need one (notify-owner needs no GitHub App key) never reads its secret or makes
 * its client: least privilege holds at run time as it does in IAM.
 */
export function engineeringPortsFromEnv(runtime: Runtime): EngineeringStepPorts {
  return {
    ...pipelinePortsFromEnv(runtime),
    chat: lazyTelegramChat(runtime),
    ...(runtime.knowledge ? { knowledge: runtime.knowledge } : {}),
  };
}
