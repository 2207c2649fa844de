import { EventBridgeScheduler } from '../adapters/aws/eventbridge-scheduler.ts';
import { assembleKnowledge } from '../app/knowledge.ts';
import { loadConfig } from '../config/config.ts';
import { awsKnowledgeAdapters } from './aws-knowledge.ts';
import { lambdaAdapters } from './lambda-adapters.ts';
import type { LambdaObservability } from './lambda-observability.ts';
import { pipelinesFromConfig } from './pipelines-from-config.ts';
import { assembleRuntime, type Runtime } from './runtime.ts';

/**
 * The Lambda composition root: configuration from the environment, adapters chosen by it (the
 * pipelines too, where configured), and the logger and metrics the handler's Middy middlewares
 * flush and stamp with the request.
 */
export function runtimeFromEnv(observability: LambdaObservability): Runtime {
  const config = loadConfig(process.env);
  const runtime = assembleRuntime(
    config,
    lambdaAdapters(config, observability.telemetry),
    observability.logger,
  );
  // The consumer starts and reads runs through it (PIPELINES_DRIVER=sfn and the state machines it
  // was given); without it the agent's pipeline tools would say nothing can run.
  const pipelines = pipelinesFromConfig(config);
  // Reminders: one-off schedules in the consumer's own schedule group (SCHEDULER_GROUP_NAME).
  const scheduler = config.reminders ? new EventBridgeScheduler(config.reminders) : undefined;
  // Project knowledge (KNOWLEDGE_DRIVER=aws): the functions CDK granted it to (the consumer, the
  // indexing step, the repository sync). The local driver belongs to the local stack.
  if (config.knowledge.driver === 'local')
    throw new Error('KNOWLEDGE_DRIVER=local is for the local stack; a Lambda uses aws or off');
  const knowledge =
    config.knowledge.driver === 'aws' ? assembleKnowledge(awsKnowledgeAdapters(config.knowledge)) : undefined;
  return {
    ...runtime,
    ...(pipelines ? { pipelines } : {}),
    ...(scheduler ? { scheduler } : {}),
    ...(knowledge ? { knowledge } : {}),
  };
}
