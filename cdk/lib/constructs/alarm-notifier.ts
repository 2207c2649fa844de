import { Duration } from 'aws-cdk-lib';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { OrchestratorFunction } from './orchestrator-function.ts';

export interface AlarmNotifierProps {
  logRetention: RetentionDays;
  /** Shared environment: ADMIN_TELEGRAM_IDS names the chats it writes to. */
  environment: Record<string, string>;
  topic: ITopic;
  botToken: ISecret;
  /** Named only (the shared config wants QUEUE_URL); it sends nothing there. */
  updateQueue: IQueue;
}

/**
 * The alarm topic's Telegram subscriber: each alarm state change to every admin's chat
 * (lambdas/handlers/alarm-notifier.ts). It reads the bot token and nothing else.
 */
export class AlarmNotifier extends Construct {
  readonly function: OrchestratorFunction;

  constructor(scope: Construct, id: string, props: AlarmNotifierProps) {
    super(scope, id);
    this.function = new OrchestratorFunction(this, 'Notifier', {
      entry: 'lambdas/handlers/alarm-notifier.ts',
      serviceName: 'alarm-notifier',
      description: 'Sends each CloudWatch alarm state change to the admins in Telegram',
      logRetention: props.logRetention,
      timeout: Duration.seconds(20),
      memorySize: 256,
      environment: props.environment,
      fetch: 'native',
    });
    this.function.useSecret(props.botToken, 'BOT_TOKEN_SECRET_ID').namesQueue(props.updateQueue);
    // SNS invokes asynchronously: Lambda retries a failed send twice, then drops it (the alarm
    // itself stays visible in CloudWatch and in the email subscription).
    this.function.fn.configureAsyncInvoke({ retryAttempts: 2, maxEventAge: Duration.hours(1) });
    props.topic.addSubscription(new LambdaSubscription(this.function.fn));
  }
}
