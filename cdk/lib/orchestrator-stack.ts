import { CfnOutput, Duration, Stack, type StackProps } from 'aws-cdk-lib';
import { Stats } from 'aws-cdk-lib/aws-cloudwatch';
import type { Construct } from 'constructs';
import { AdminApi } from './constructs/admin-api.ts';
import { AlarmNotifier } from './constructs/alarm-notifier.ts';
import { Alarms } from './constructs/alarms.ts';
import { BotSecrets } from './constructs/bot-secrets.ts';
import { OperationsDashboard } from './constructs/dashboard.ts';
import { DevopsPipeline } from './constructs/devops-pipeline.ts';
import { EncryptionKey } from './constructs/encryption-key.ts';
import { EngineeringPipeline } from './constructs/engineering-pipeline.ts';
import { ProjectKnowledge } from './constructs/project-knowledge.ts';
import { ReminderSchedules } from './constructs/reminder-schedules.ts';
import { ScheduledJobs } from './constructs/scheduled-jobs.ts';
import { OrchestratorTables } from './constructs/tables.ts';
import { TelegramFrontDoor } from './constructs/telegram-front-door.ts';
import { CONSUMER_TIMEOUT, MAX_RECEIVE_COUNT, UpdateQueue } from './constructs/update-queue.ts';
import type { OperatorInputs } from './operator-inputs.ts';

export interface OrchestratorStackProps extends StackProps {
  inputs: OperatorInputs;
}

/**
 * Telegram -> HTTP API -> webhook Lambda -> SQS FIFO -> consumer Lambda, with the tables, secrets,
 * key, alarms and dashboard around them; the consumer starts engineering pipeline runs and
 * deploys (two Step Functions state machines with step Lambdas and Fargate workers, the deployer
 * among them). Environment-agnostic: synth needs no AWS account.
 */
export class OrchestratorStack extends Stack {
  readonly secrets: BotSecrets;
  readonly tables: OrchestratorTables;
  readonly frontDoor: TelegramFrontDoor;
  readonly updateQueue: UpdateQueue;
  readonly engineering: EngineeringPipeline;
  readonly devops: DevopsPipeline;
  readonly alarms: Alarms;
  readonly jobs: ScheduledJobs;
  readonly alarmNotifier: AlarmNotifier;
  readonly adminApi: AdminApi;
  readonly knowledge: ProjectKnowledge;

  constructor(scope: Construct, id: string, props: OrchestratorStackProps) {
    super(scope, id, props);
    const { inputs } = props;
    const encryption = new EncryptionKey(this, 'Encryption');
    // The engineering pipeline's execution, worker and flow logs are encrypted with it.
    encryption.encryptLogGroups();
    const { key } = encryption;
    this.secrets = new BotSecrets(this, 'Secrets', { key, namePrefix: this.stackName });
    this.tables = new OrchestratorTables(this, 'Tables');
    const { secrets, tables } = this;
    const environment = {
      ADMIN_TELEGRAM_IDS: inputs.adminTelegramIds.join(','),
      TELEGRAM_BOT_USERNAME: inputs.botUsername,
      SECRETS_DRIVER: 'aws',
    };

    const { logRetention } = inputs;
    this.frontDoor = new TelegramFrontDoor(this, 'FrontDoor', { logRetention, environment });
    this.updateQueue = new UpdateQueue(this, 'UpdateQueue', {
      key,
      logRetention,
      environment,
      maxConcurrency: inputs.consumerMaxConcurrency,
    });
    const { frontDoor, updateQueue: updates } = this;

    // The webhook makes one AWS call per update: SendMessage to the FIFO queue (deduplication id
    // `update-<update_id>`), after checking the secret token; both secrets are cached. It reads
    // and writes no table: who may talk to the bot and repeats beyond SQS's 5-minute window are
    // the consumer's business.
    frontDoor.webhook
      .useSecret(secrets.webhookSecret, 'WEBHOOK_SECRET_ID')
      .useSecret(secrets.botToken, 'BOT_TOKEN_SECRET_ID')
      .sendsTo(updates.queue);
    // The consumer is the Product Owner agent. It takes the 25-hour dedup record of each update,
    // admits users (admins add them through it); sessions hold per-chat state and leases;
    // projects, agent checkpoints and the usage ledger are its own. It retries with backoff itself
    // and moves a message that keeps failing to the DLQ. Secrets people send go to Secrets
    // Manager under this stack's name, with the stack's key.
    updates.consumer
      .useSecret(secrets.botToken, 'BOT_TOKEN_SECRET_ID')
      .useTable(tables.get('dedup'), 'dedup', 'claim')
      .useTable(tables.get('users'), 'users', 'readWrite')
      .useTable(tables.get('sessions'), 'sessions', 'readWrite')
      .useTable(tables.get('projects'), 'projects', 'readWrite')
      .useTable(tables.get('checkpoints'), 'checkpoints', 'readWrite')
      .useTable(tables.get('usage'), 'usage', 'readWrite')
      .deadLettersTo(updates.deadLetterQueue)
      .keepsProjectSecrets(`${this.stackName}/`, key)
      .invokesBedrockModels({ intent: inputs.bedrockIntentModelId, agent: inputs.bedrockAgentModelId })
      .pricesModels(inputs.modelPrices, inputs.userMonthlyBudgetUsd);
    // Reminders: one-off schedules the consumer sets in its own group, sent into the updates queue.
    new ReminderSchedules(this, 'Reminders', {
      namePrefix: this.stackName,
      updateQueue: updates.queue,
      key,
      consumer: updates.consumer,
    });

    // Project knowledge: the S3 vector bucket and the keyword indexes' bucket. The Product Owner
    // searches it (search_knowledge); the engineering pipeline and the repository sync index it.
    this.knowledge = new ProjectKnowledge(this, 'Knowledge', { namePrefix: this.stackName });
    const knowledge = this.knowledge.stores;
    updates.consumer.usesProjectKnowledge(knowledge, 'search');

    // The engineering pipeline: Step Functions runs the step Lambdas and the Fargate workers. The
    // consumer starts runs and answers the owner's escalation buttons (SendTaskSuccess).
    this.engineering = new EngineeringPipeline(this, 'Engineering', {
      key,
      logRetention,
      namePrefix: this.stackName,
      environment,
      tables,
      updateQueue: updates.queue,
      botToken: secrets.botToken,
      agentModelId: inputs.bedrockAgentModelId,
      modelPrices: inputs.modelPrices,
      userMonthlyBudgetUsd: inputs.userMonthlyBudgetUsd,
      ...(inputs.github ? { github: inputs.github } : {}),
      knowledge,
    });
    const { engineering } = this;
    updates.consumer.startsPipeline(engineering.ref);

    // The devops pipeline: a tested commit deployed to a server of the inventory by the deployer
    // (Fargate, Ansible over SSH), checked, rolled back if unhealthy. It shares the engineering
    // pipeline's notify-owner, stop-workers, worker cluster and GitHub App. The consumer starts
    // deploys and resumes the ones waiting for a secret the owner sends (SendTaskSuccess).
    this.devops = new DevopsPipeline(this, 'Devops', {
      key,
      logRetention,
      namePrefix: this.stackName,
      environment,
      tables,
      updateQueue: updates.queue,
      agentModelId: inputs.bedrockAgentModelId,
      modelPrices: inputs.modelPrices,
      userMonthlyBudgetUsd: inputs.userMonthlyBudgetUsd,
      engineering,
    });
    const { devops } = this;
    updates.consumer.startsPipeline(devops.ref);
    // The admin API (API keys; the CLI and the run inspector): the same domain services as the bot.
    this.adminApi = new AdminApi(this, 'AdminApi', {
      logRetention,
      environment,
      tables,
      updateQueue: updates.queue,
      pipelines: { engineering: engineering.ref, devops: devops.ref },
    });
    new CfnOutput(this, 'AdminApiUrl', {
      description:
        'The admin API (orchestrator --url <this> --key <key>); its OpenAPI document is <this>openapi.json',
      value: this.adminApi.url,
    });
    new CfnOutput(this, 'RunInspectorUrl', {
      description: 'The run inspector page (it asks for an API key; data go through the authorizer)',
      value: `${this.adminApi.url}inspector`,
    });
    // No label on the alarm's metric: with one, CloudWatch needs a metric math form of it.
    const deploysRolledBack = devops.rolledBackFilter.metric({
      period: Duration.minutes(5),
      statistic: Stats.SUM,
    });

    this.alarms = new Alarms(this, 'Alarms', {
      key,
      ...(inputs.alarmEmail ? { alarmEmail: inputs.alarmEmail } : {}),
      webhook: frontDoor.webhook.fn,
      consumer: updates.consumer.fn,
      consumerServiceName: updates.consumer.serviceName,
      webhookServiceName: frontDoor.webhook.serviceName,
      bedrockModelIds: [inputs.bedrockIntentModelId, inputs.bedrockAgentModelId],
      consumerTimeout: CONSUMER_TIMEOUT,
      queue: updates.queue,
      deadLetterQueue: updates.deadLetterQueue,
      api: frontDoor.api,
      engineeringStateMachine: engineering.stateMachine,
      devops: { stateMachine: devops.stateMachine, rolledBack: deploysRolledBack },
    });
    // Scheduled jobs (repository sync, health checks) on EventBridge Scheduler; their DLQ alarms
    // on the alarm topic, which also feeds the admins' Telegram chats.
    this.jobs = new ScheduledJobs(this, 'Jobs', {
      key,
      logRetention,
      namePrefix: this.stackName,
      environment,
      tables,
      updateQueue: updates.queue,
      alarmTopic: this.alarms.topic,
      githubAppKey: engineering.githubAppKey,
      ...(inputs.github ? { github: inputs.github } : {}),
    });
    // Self-recovery: the health check redeploys a service that went down (devops) and, if it stays
    // down, offers its owner a fix run (engineering) with buttons sent through the bot.
    // The repository sync re-indexes a project whose default-branch head moved.
    this.jobs.functions['repository-sync'].usesProjectKnowledge(knowledge, 'index');
    this.jobs.functions['health-check']
      .startsPipeline(engineering.ref)
      .startsPipeline(devops.ref)
      .useSecret(secrets.botToken, 'BOT_TOKEN_SECRET_ID');
    this.alarmNotifier = new AlarmNotifier(this, 'AlarmNotifier', {
      logRetention,
      environment,
      topic: this.alarms.topic,
      botToken: secrets.botToken,
      updateQueue: updates.queue,
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
      engineering: { stateMachine: engineering.stateMachine, clusterName: engineering.workers.clusterName },
      devops: {
        stateMachine: devops.stateMachine,
        rolledBack: deploysRolledBack.with({ label: 'rolled back' }),
        steps: Object.fromEntries(Object.entries(devops.steps).map(([name, step]) => [name, step.fn])),
      },
    });

    new CfnOutput(this, 'WebhookUrl', {
      description: 'Register with Telegram (setWebhook) together with the webhook secret token',
      value: frontDoor.webhookUrl,
    });
    new CfnOutput(this, 'BotTokenSecretArn', {
      description:
        'Holds a generated placeholder: put the BotFather token with `aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string <token>`',
      value: secrets.botToken.secretArn,
    });
    new CfnOutput(this, 'WebhookSecretArn', {
      description: 'Generated secret_token to pass to setWebhook (read it with get-secret-value)',
      value: secrets.webhookSecret.secretArn,
    });
    new CfnOutput(this, 'DeadLetterQueueUrl', {
      description: `Updates the consumer gave up on (or that were received ${MAX_RECEIVE_COUNT} times); redrive after fixing the cause`,
      value: updates.deadLetterQueue.queueUrl,
    });
    new CfnOutput(this, 'DashboardName', { value: dashboard.dashboardName });
    // What `npm run doctor` checks: the queue it drains, where alarms go, the models it calls.
    new CfnOutput(this, 'UpdateQueueUrl', {
      description: 'The FIFO queue between webhook and consumer',
      value: updates.queue.queueUrl,
    });
    new CfnOutput(this, 'AlarmTopicArn', {
      description: 'Alarm notifications; subscribe (and confirm) an address or chat integration',
      value: this.alarms.topic.topicArn,
    });
    new CfnOutput(this, 'BedrockIntentModelId', { value: inputs.bedrockIntentModelId });
    new CfnOutput(this, 'BedrockAgentModelId', { value: inputs.bedrockAgentModelId });
    new CfnOutput(this, 'EngineeringStateMachineArn', {
      description: 'The engineering pipeline (Step Functions): its runs, history and redrive',
      value: engineering.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'DevopsStateMachineArn', {
      description: 'The devops pipeline (Step Functions): deploys, their history and redrive',
      value: devops.stateMachine.stateMachineArn,
    });
    new CfnOutput(this, 'DeployerLogGroupName', {
      description: "The deployer's logs (Ansible output, no secret values): stream deployer/worker/<task id>",
      value: devops.deployer.logGroup.logGroupName,
    });
    new CfnOutput(this, 'GitHubAppKeySecretArn', {
      description:
        "Holds a generated placeholder: put the GitHub App's private key (PEM) with `aws secretsmanager put-secret-value --secret-id <this ARN> --secret-string file://key.pem`",
      value: engineering.githubAppKey.secretArn,
    });
  }
}
