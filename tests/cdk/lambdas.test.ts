import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOT_TOKEN_PLACEHOLDER } from '../../cdk/lib/constructs/bot-secrets.ts';
import { loadConfig } from '../../lambdas/config/config.ts';
import { arnOf, ref, type Synthesized, synthesize } from './support/synth.ts';

let s: Synthesized;
let ids: ReturnType<typeof resourceIds>;

function resourceIds() {
  const { frontDoor, updateQueue, tables, secrets } = s.stack;
  return {
    webhook: s.logicalId(frontDoor.webhook.fn),
    consumer: s.logicalId(updateQueue.consumer.fn),
    webhookLogs: s.logicalId(frontDoor.webhook.logGroup),
    consumerLogs: s.logicalId(updateQueue.consumer.logGroup),
    queue: s.logicalId(updateQueue.queue),
    dlq: s.logicalId(updateQueue.deadLetterQueue),
    users: s.logicalId(tables.get('users')),
    sessions: s.logicalId(tables.get('sessions')),
    dedup: s.logicalId(tables.get('dedup')),
    botToken: s.logicalId(secrets.botToken),
    webhookSecret: s.logicalId(secrets.webhookSecret),
  };
}

/** Environment of one function as the template has it. */
function envOf(functionId: string): Record<string, unknown> {
  const fn = s.template.toJSON().Resources[functionId];
  return fn.Properties.Environment.Variables;
}

/** What CloudFormation would put in place of each Ref, so the Lambdas' own schema can read it. */
function deployedEnv(functionId: string): Record<string, string> {
  const resources = s.template.toJSON().Resources;
  const physical = (value: unknown): string => {
    if (typeof value === 'string') return value;
    const id = (value as { Ref: string }).Ref;
    switch (resources[id].Type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.eu-west-1.amazonaws.com/123456789012/${id}.fifo`;
      case 'AWS::SecretsManager::Secret':
        return `arn:aws:secretsmanager:eu-west-1:123456789012:secret:${id}-AbCdEf`;
      default:
        return `${id}-physical`;
    }
  };
  return Object.fromEntries(Object.entries(envOf(functionId)).map(([k, v]) => [k, physical(v)]));
}

beforeAll(() => {
  s = synthesize();
  ids = resourceIds();
});

describe('Lambda functions', () => {
  it.each([
    ['webhook', 10, 512],
    ['consumer', 60, 1024],
  ] as const)('%s runs Node 22 on arm64 with X-Ray, %i s timeout, %i MB', (name, timeout, memory) => {
    const found = s.template.findResources('AWS::Lambda::Function', {
      Properties: {
        Runtime: 'nodejs22.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        Handler: 'index.handler',
        Timeout: timeout,
        MemorySize: memory,
        Environment: { Variables: Match.objectLike({ NODE_OPTIONS: '--enable-source-maps' }) },
      },
    });
    expect(Object.keys(found)).toEqual([ids[name]]);
  });

  it.each([
    ['webhook', 'webhookLogs'],
    ['consumer', 'consumerLogs'],
  ] as const)('%s logs to its own log group with the retention from context', (fn, logs) => {
    const found = s.template.findResources('AWS::Lambda::Function', {
      Properties: { LoggingConfig: { LogGroup: ref(ids[logs]) } },
    });
    expect(Object.keys(found)).toEqual([ids[fn]]);
    expect(s.template.toJSON().Resources[ids[logs]].Properties.RetentionInDays).toBe(14);
  });

  it('gives the webhook its queue, tables, secret ARNs and operator inputs', () => {
    expect(envOf(ids.webhook)).toMatchObject({
      ADMIN_TELEGRAM_IDS: '111,222',
      TELEGRAM_BOT_USERNAME: 'test_orchestrator_bot',
      SECRETS_DRIVER: 'aws',
      QUEUE_DRIVER: 'sqs',
      QUEUE_URL: ref(ids.queue),
      DEDUP_TABLE: ref(ids.dedup),
      USERS_TABLE: ref(ids.users),
      WEBHOOK_SECRET_ID: ref(ids.webhookSecret),
      BOT_TOKEN_SECRET_ID: ref(ids.botToken),
      POWERTOOLS_SERVICE_NAME: 'telegram-webhook',
    });
    expect(envOf(ids.webhook)).not.toHaveProperty('SESSIONS_TABLE');
  });

  it('gives the consumer the queue URL, its tables and the bot token ARN only', () => {
    const env = envOf(ids.consumer);
    expect(env).toMatchObject({
      ADMIN_TELEGRAM_IDS: '111,222',
      QUEUE_DRIVER: 'sqs',
      QUEUE_URL: ref(ids.queue),
      USERS_TABLE: ref(ids.users),
      SESSIONS_TABLE: ref(ids.sessions),
      BOT_TOKEN_SECRET_ID: ref(ids.botToken),
      POWERTOOLS_SERVICE_NAME: 'queue-consumer',
    });
    expect(env).not.toHaveProperty('DEDUP_TABLE');
    expect(env).not.toHaveProperty('WEBHOOK_SECRET_ID');
  });

  it('never puts a secret value in the environment, only Secrets Manager ARNs', () => {
    const secretRefs = [ref(ids.botToken), ref(ids.webhookSecret)];
    for (const id of [ids.webhook, ids.consumer]) {
      const env = envOf(id);
      const secretish = Object.keys(env).filter(
        (name) => /TOKEN|SECRET/.test(name) && name !== 'SECRETS_DRIVER',
      );
      expect(secretish.length).toBeGreaterThan(0);
      for (const name of secretish) {
        expect(name).toMatch(/_SECRET_ID$/);
        expect(secretRefs).toContainEqual(env[name]);
      }
      expect(JSON.stringify(env)).not.toContain(BOT_TOKEN_PLACEHOLDER);
    }
    // Nothing shaped like a Telegram bot token anywhere in the template.
    expect(JSON.stringify(s.template.toJSON())).not.toMatch(/\d{6,}:[A-Za-z0-9_-]{30,}/);
  });

  it.each(['webhook', 'consumer'] as const)(
    "sets an environment the %s's own config schema accepts",
    (name) => {
      const config = loadConfig(deployedEnv(ids[name]));
      expect([...config.adminIds]).toEqual([111, 222]);
      expect(config.queue).toEqual({
        driver: 'sqs',
        url: `https://sqs.eu-west-1.amazonaws.com/123456789012/${ids.queue}.fifo`,
      });
      expect(config.tableNames.users).toBe(`${ids.users}-physical`);
      expect(config.secretIds.botToken).toContain(ids.botToken);
    },
  );

  it('subscribes the consumer to the FIFO queue with partial batch responses', () => {
    s.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(ids.consumer),
      EventSourceArn: arnOf(ids.queue),
      BatchSize: 10,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
    });
    expect(
      s.template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: arnOf(ids.dlq) },
      }),
    ).toEqual({});
  });
});
