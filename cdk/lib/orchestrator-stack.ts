import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Alarms } from './constructs/alarms.ts';
import { BotSecrets } from './constructs/bot-secrets.ts';
import { OperationsDashboard } from './constructs/dashboard.ts';
import { EncryptionKey } from './constructs/encryption-key.ts';
import { OrchestratorTables } from './constructs/tables.ts';
import { TelegramFrontDoor } from './constructs/telegram-front-door.ts';
import { CONSUMER_TIMEOUT, UpdateQueue } from './constructs/update-queue.ts';
import type { OperatorInputs } from './operator-inputs.ts';

export interface OrchestratorStackProps extends StackProps {
  inputs: OperatorInputs;
}

/**
 * Telegram -> HTTP API -> webhook Lambda -> SQS FIFO -> consumer Lambda, with the tables, secrets,
 * key, alarms and dashboard around them. Environment-agnostic: synth needs no AWS account.
 */
export class OrchestratorStack extends Stack {
  readonly secrets: BotSecrets;
  readonly tables: OrchestratorTables;
  readonly frontDoor: TelegramFrontDoor;
  readonly updateQueue: UpdateQueue;
  readonly alarms: Alarms;

  constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    super(scope, id, props);
    const { inputs } = props;
    const { key } = new EncryptionKey(this, 'Encryption');
    this.secrets = new BotSecrets(this, 'Secrets', { key });
    this.tables = new OrchestratorTables(this, 'Tables');
    const { secrets, tables } = this;
    const environment = {
      ADMIN_TELEGRAM_IDS: inputs.adminTelegramIds.join(','),
      TELEGRAM_BOT_USERNAME: inputs.botUsername,
      SECRETS_DRIVER: 'aws',
    };

    const { logRetention } = inputs;
    this.frontDoor = new TelegramFrontDoor(this, 'FrontDoor', { logRetention, environment });
    this.updateQueue = new UpdateQueue(this, 'UpdateQueue', { key, logRetention, environment });
    const { frontDoor, updateQueue: updates } = this;

    // The webhook refuses strangers itself (bot token), so it reads users but writes only dedup.
    frontDoor.webhook
      .useSecret(secrets.webhookSecret, 'WEBHOOK_SECRET_ID')
      .useSecret(secrets.botToken, 'BOT_TOKEN_SECRET_ID')
      .useTable(tables.get('dedup'), 'dedup', 'readWrite')
      .useTable(tables.get('users'), 'users', 'read')
      .sendsTo(updates.queue);
    // The consumer is the Product Owner agent. Admins add users through it; sessions hold
    // per-chat state and leases; projects, agent checkpoints and the usage ledger are its own.
    // Secrets people send go to Secrets Manager under this stack's name, with the stack's key.
    updates.consumer
      .useSecret(secrets.botToken, 'BOT_TOKEN_SECRET_ID')
      .useTable(tables.get('users'), 'users', 'readWrite')
      .useTable(tables.get('sessions'), 'sessions', 'readWrite')
      .useTable(tables.get('projects'), 'projects', 'readWrite')
      .useTable(tables.get('checkpoints'), 'checkpoints', 'readWrite')
      .useTable(tables.get('usage'), 'usage', 'readWrite')
      .keepsProjectSecrets(`${this.stackName}/`, key)
      .invokesBedrockModels({ intent: inputs.bedrockIntentModelId, agent: inputs.bedrockAgentModelId });

    this.alarms = new Alarms(this, 'Alarms', {
      key,
      ...(inputs.alarmEmail ? { alarmEmail: inputs.alarmEmail } : {}),
      webhook: frontDoor.webhook.fn,
      consumer: updates.consumer.fn,
      consumerServiceName: updates.consumer.serviceName,
      consumerTimeout: CONSUMER_TIMEOUT,
      queue: updates.queue,
      deadLetterQueue: updates.deadLetterQueue,
      api: frontDoor.api,
    });
    const { dashboard } = new OperationsDashboard(this, 'Operations', {
      dashboardName: `${this.stackName}-operations`,
      webhook: frontDoor.webhook.fn,
      consumer: updates.consumer.fn,
      queue: updates.queue,
      deadLetterQueue: updates.deadLetterQueue,
      consumerNearTimeout: this.alarms.consumerNearTimeout,
      bedrockModelIds: [inputs.bedrockIntentModelId, inputs.bedrockAgentModelId],
      serviceNames: { webhook: frontDoor.webhook.serviceName, consumer: updates.consumer.serviceName },
    });

    new CfnOutput(this, 'WebhookUrl', {
      description: 'Register with Telegram (setWebhook) together with the webhook secret token',
      value: frontDoor.webhookUrl,
    });
    new CfnOutput(this, 'BotTokenSecretArn', {
      description:
        'Holds a placeholder: put the BotFather token with `aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string <token>`',
      value: secrets.botToken.secretArn,
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      description: 'Generated secret_token to pass to setWebhook (read it with get-secret-value)',
      value: secrets.webhookSecret.secretArn,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: 'Updates that failed 5 times; redrive after fixing the cause',
      value: updates.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
  }
}
