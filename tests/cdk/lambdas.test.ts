import { readFileSync } from 'node:fs';
import { Annotations, Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { BOT_TOKEN_PATTERN } from '../../cdk/lib/constructs/bot-secrets.ts';
import { loadConfig } from '../../lambdas/config/config.ts';
import { arnOf, ref, type Synthesized, synthesize, TEST_CONTEXT } from './support/synth.ts';

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
    projects: s.logicalId(tables.get('projects')),
    checkpoints: s.logicalId(tables.get('checkpoints')),
    usage: s.logicalId(tables.get('usage')),
    key: s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key')),
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
    const getAtt = (value as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt'];
    if (getAtt?.[1] === 'Arn' && resources[getAtt[0]].Type === 'AWS::KMS::Key') {
      return 'arn:aws:kms:eu-west-1:123456789012:key/0f1e2d3c-4b5a-6978-8a9b-0c1d2e3f4a5b';
    }
    if (getAtt?.[1] === 'Arn' && resources[getAtt[0]].Type === 'AWS::IAM::Role') {
      return `arn:aws:iam::123456789012:role/${getAtt[0]}`;
    }
    if (getAtt?.[1] === 'Arn' && resources[getAtt[0]].Type === 'AWS::SQS::Queue') {
      return `arn:aws:sqs:eu-west-1:123456789012:${getAtt[0]}.fifo`;
    }
    if (getAtt?.[1] === 'Arn' && resources[getAtt[0]].Type === 'AWS::ECS::Cluster') {
      return `arn:aws:ecs:eu-west-1:123456789012:cluster/${resources[getAtt[0]].Properties.ClusterName}`;
    }
    // An ARN the stack builds from pseudo parameters (the state machine's, by its name).
    const join = (value as { 'Fn::Join'?: [string, unknown[]] })['Fn::Join'];
    if (join) return join[1].map(physical).join(join[0]);
    const id = (value as { Ref: string }).Ref;
    const pseudo: Record<string, string> = {
      'AWS::AccountId': '123456789012',
      'AWS::Region': 'eu-west-1',
      'AWS::Partition': 'aws',
    };
    if (pseudo[id]) return pseudo[id];
    if (!resources[id]) throw new Error(`No stand-in for ${JSON.stringify(value)}: add one to deployedEnv`);
    switch (resources[id].Type) {
      case 'AWS::SQS::Queue':
        return `https://sqs.eu-west-1.amazonaws.com/123456789012/${id}.fifo`;
      case 'AWS::Scheduler::ScheduleGroup':
        return String(resources[id].Properties.Name);
      // Generated bucket names are lower case.
      case 'AWS::S3::Bucket':
        return `codegenorchestrator-${id.toLowerCase()}`;
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
    ['consumer', 300, 1024],
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

  it('gives the webhook its queue, secret ARNs and operator inputs, and no table', () => {
    const env = envOf(ids.webhook);
    expect(env).toMatchObject({
      ADMIN_TELEGRAM_IDS: '111,222',
      TELEGRAM_BOT_USERNAME: 'test_orchestrator_bot',
      SECRETS_DRIVER: 'aws',
      QUEUE_DRIVER: 'sqs',
      QUEUE_URL: ref(ids.queue),
      WEBHOOK_SECRET_ID: ref(ids.webhookSecret),
      BOT_TOKEN_SECRET_ID: ref(ids.botToken),
      POWERTOOLS_SERVICE_NAME: 'telegram-webhook',
    });
    expect(Object.keys(env).filter((name) => name.endsWith('_TABLE'))).toEqual([]);
    expect(env).not.toHaveProperty('DEAD_LETTER_QUEUE_URL');
  });

  it('gives the consumer the queue and DLQ URLs, its tables (dedup included) and the bot token ARN only', () => {
    const env = envOf(ids.consumer);
    expect(env).toMatchObject({
      ADMIN_TELEGRAM_IDS: '111,222',
      QUEUE_DRIVER: 'sqs',
      QUEUE_URL: ref(ids.queue),
      DEAD_LETTER_QUEUE_URL: ref(ids.dlq),
      DEDUP_TABLE: ref(ids.dedup),
      USERS_TABLE: ref(ids.users),
      SESSIONS_TABLE: ref(ids.sessions),
      PROJECTS_TABLE: ref(ids.projects),
      CHECKPOINTS_TABLE: ref(ids.checkpoints),
      USAGE_TABLE: ref(ids.usage),
      BOT_TOKEN_SECRET_ID: ref(ids.botToken),
      POWERTOOLS_SERVICE_NAME: 'queue-consumer',
    });
    expect(env).not.toHaveProperty('WEBHOOK_SECRET_ID');
  });

  it('gives the consumer the default monthly budget per user, and the prices only when the operator sets some', () => {
    const env = envOf(ids.consumer);
    expect(env.USER_MONTHLY_BUDGET_USD).toBe('20');
    expect(env).not.toHaveProperty('LLM_PRICES');
    expect(loadConfig(deployedEnv(ids.consumer)).usage).toMatchObject({ monthlyBudgetUsdPerUser: 20 });
    expect(envOf(ids.webhook)).not.toHaveProperty('USER_MONTHLY_BUDGET_USD');

    const priced = synthesize({
      context: {
        ...TEST_CONTEXT,
        modelPrices: { 'eu.amazon.nova-lite-v1:0': { inputPerMTok: 0.07, outputPerMTok: 0.28 } },
        userMonthlyBudgetUsd: 7.5,
      },
    });
    const fn = priced.template.toJSON().Resources[priced.logicalId(priced.stack.updateQueue.consumer.fn)];
    const pricedEnv = fn.Properties.Environment.Variables;
    expect(pricedEnv.USER_MONTHLY_BUDGET_USD).toBe('7.5');
    const config = loadConfig({ ...deployedEnv(ids.consumer), LLM_PRICES: pricedEnv.LLM_PRICES });
    expect(config.llm.prices['eu.amazon.nova-lite-v1:0']).toEqual({
      inputPerMTok: 0.07,
      outputPerMTok: 0.28,
    });
    // The default agent model keeps its built-in price.
    expect(config.llm.prices['eu.anthropic.claude-sonnet-4-20250514-v1:0']).toMatchObject({
      inputPerMTok: 3,
      outputPerMTok: 15,
    });
  });

  it('runs the consumer as the Product Owner agent: Bedrock models, project secrets, a lease past its timeout', () => {
    const env = envOf(ids.consumer);
    expect(env).toMatchObject({
      LLM_INTENT_MODEL: 'bedrock:eu.amazon.nova-lite-v1:0',
      LLM_AGENT_MODEL: 'bedrock:eu.anthropic.claude-sonnet-4-20250514-v1:0',
      PROJECT_SECRETS_PREFIX: 'CodegenOrchestrator/',
      SECRETS_KMS_KEY_ID: arnOf(ids.key),
      CONVERSATION_LEASE_SECONDS: '330',
    });
    // The agent's limits keep the Lambdas' defaults.
    expect(Object.keys(env).filter((name) => name.startsWith('AGENT_'))).toEqual([]);
    // A live run keeps its lease for as long as it can run; a dead run's lease is gone before SQS redelivers.
    const lease = Number(env.CONVERSATION_LEASE_SECONDS);
    const fn = s.template.toJSON().Resources[ids.consumer].Properties;
    const queue = s.template.toJSON().Resources[ids.queue].Properties;
    expect(lease).toBeGreaterThan(fn.Timeout);
    expect(lease).toBeLessThan(queue.VisibilityTimeout);
  });

  it('keeps the agent, its models and project secrets out of the webhook', () => {
    const env = envOf(ids.webhook);
    for (const name of [
      'LLM_INTENT_MODEL',
      'LLM_AGENT_MODEL',
      'PROJECT_SECRETS_PREFIX',
      'SECRETS_KMS_KEY_ID',
      'CONVERSATION_LEASE_SECONDS',
      'PROJECTS_TABLE',
      'CHECKPOINTS_TABLE',
      'USAGE_TABLE',
    ]) {
      expect(env).not.toHaveProperty(name);
    }
  });

  it('takes the Bedrock model ids from context', () => {
    const other = synthesize({
      context: {
        ...TEST_CONTEXT,
        bedrockIntentModelId: 'amazon.nova-micro-v1:0',
        bedrockAgentModelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      },
    });
    const fn = other.template.toJSON().Resources[other.logicalId(other.stack.updateQueue.consumer.fn)];
    expect(fn.Properties.Environment.Variables).toMatchObject({
      LLM_INTENT_MODEL: 'bedrock:amazon.nova-micro-v1:0',
      LLM_AGENT_MODEL: 'bedrock:eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
    });
  });

  it('never puts a secret value in the environment, only Secrets Manager ARNs', () => {
    const secretRefs = [ref(ids.botToken), ref(ids.webhookSecret)];
    const placeholders = Object.values(s.template.findResources('AWS::SecretsManager::Secret')).map(
      (secret) => secret.Properties.SecretString,
    );
    // Every secret (bot token, webhook secret, GitHub App key) is generated: no value, placeholder
    // or real, sits in the template.
    expect(placeholders).toEqual([undefined, undefined, undefined]);
    // Where secrets live, not what they hold: a driver, a name prefix, the key that encrypts them.
    const locations: Record<string, unknown> = {
      SECRETS_DRIVER: 'aws',
      PROJECT_SECRETS_PREFIX: 'CodegenOrchestrator/',
      SECRETS_KMS_KEY_ID: arnOf(ids.key),
    };
    for (const id of [ids.webhook, ids.consumer]) {
      const env = envOf(id);
      for (const [name, value] of Object.entries(locations)) {
        if (name in env) expect(env[name], name).toEqual(value);
      }
      const secretish = Object.keys(env).filter((name) => /TOKEN|SECRET/.test(name) && !(name in locations));
      expect(secretish.length).toBeGreaterThan(0);
      for (const name of secretish) {
        expect(name).toMatch(/_SECRET_ID$/);
        expect(secretRefs).toContainEqual(env[name]);
      }
    }
    // Nothing shaped like a Telegram bot token anywhere in the template.
    expect(JSON.stringify(s.template.toJSON())).not.toMatch(/\d{6,}:[A-Za-z0-9_-]{30,}/);
    expect(BOT_TOKEN_PATTERN.test('123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw')).toBe(true);
  });

  it.each(['webhook', 'consumer'] as const)(
    "sets an environment the %s's own config schema accepts",
    (name) => {
      const config = loadConfig(deployedEnv(ids[name]));
      expect([...config.adminIds]).toEqual([111, 222]);
      expect(config.queue).toMatchObject({
        driver: 'sqs',
        url: `https://sqs.eu-west-1.amazonaws.com/123456789012/${ids.queue}.fifo`,
      });
      expect(config.secretIds.botToken).toContain(ids.botToken);
    },
  );

  it.each([
    'notify-owner',
    'analyst',
    'architect',
    'record-attempt',
    'escalate',
    'stop-workers',
    'job-context',
    'index-knowledge',
  ] as const)("sets an environment the engineering %s step's config schema accepts", (step) => {
    const config = loadConfig(deployedEnv(s.logicalId(s.stack.engineering.steps[step].fn)));
    expect(config.tableNames).toMatchObject({ projects: `${ids.projects}-physical` });
    // Project knowledge: searched by the analyst and the broker, indexed by its own step.
    if (['analyst', 'job-context', 'index-knowledge'].includes(step)) {
      expect(config.knowledge).toMatchObject({
        driver: 'aws',
        vectorBucketName: 'codegenorchestrator-knowledge',
        prefix: 'knowledge/',
      });
    } else {
      expect(config.knowledge).toEqual({ driver: 'off' });
    }
    if (step === 'job-context') {
      expect(config.pipelines).toEqual({
        driver: 'sfn',
        stateMachineArns: {
          engineering: 'arn:aws:states:eu-west-1:123456789012:stateMachine:CodegenOrchestrator-engineering',
        },
      });
    } else {
      expect(config.pipelines).toEqual({ driver: 'none' });
    }
    // No GitHub App in these inputs: no git host, the key secret still passed.
    expect(config.gitHost).toEqual({ driver: 'none' });
    if (step === 'stop-workers') {
      expect(config.workerClusterArn).toBe(
        'arn:aws:ecs:eu-west-1:123456789012:cluster/CodegenOrchestrator-workers',
      );
    }
  });

  it.each([
    'analyse-env',
    'prepare-secrets',
    'ask-for-secret',
    'allocate-resources',
    'smoke-test',
    'record-release',
    'deploy-context',
  ] as const)("sets an environment the devops %s step's config schema accepts", (step) => {
    const config = loadConfig(deployedEnv(s.logicalId(s.stack.devops.steps[step].fn)));
    // Each step is told the physical name of the tables it may use (smoke-test uses none).
    if (step === 'ask-for-secret') {
      expect(config.tableNames).toMatchObject({ sessions: `${ids.sessions}-physical` });
    } else if (step !== 'smoke-test') {
      expect(config.tableNames).toMatchObject({ projects: `${ids.projects}-physical` });
    }
    expect(config.projectSecretsPrefix).toBe('CodegenOrchestrator/');
    // The deployer's broker checks the run is still going: the devops state machine, and only it.
    expect(config.pipelines).toEqual(
      step === 'deploy-context'
        ? {
            driver: 'sfn',
            stateMachineArns: {
              devops: 'arn:aws:states:eu-west-1:123456789012:stateMachine:CodegenOrchestrator-devops',
            },
          }
        : { driver: 'none' },
    );
  });

  it('gives the consumer both state machines', () => {
    expect(loadConfig(deployedEnv(ids.consumer)).pipelines).toEqual({
      driver: 'sfn',
      stateMachineArns: {
        engineering: 'arn:aws:states:eu-west-1:123456789012:stateMachine:CodegenOrchestrator-engineering',
        devops: 'arn:aws:states:eu-west-1:123456789012:stateMachine:CodegenOrchestrator-devops',
      },
    });
  });

  it('sets GitHub App settings the architect and the token broker config schema accept', () => {
    const other = synthesize({
      context: { ...TEST_CONTEXT, githubOrg: 'acme', githubAppId: '42', githubInstallationId: '4242' },
    });
    const saved = s;
    s = other;
    try {
      for (const step of ['architect', 'job-context'] as const) {
        const config = loadConfig(deployedEnv(other.logicalId(other.stack.engineering.steps[step].fn)));
        expect(config.gitHost).toEqual({
          driver: 'github',
          org: 'acme',
          appId: '42',
          installationId: '4242',
          appKeySecretId: expect.stringContaining(other.logicalId(other.stack.engineering.githubAppKey)),
          apiUrl: 'https://api.github.com',
        });
      }
    } finally {
      s = saved;
    }
  });

  it("sets agent settings the consumer's config schema reads as meant", () => {
    const config = loadConfig(deployedEnv(ids.consumer));
    expect(config.llm.intent).toEqual({ provider: 'bedrock', modelId: 'eu.amazon.nova-lite-v1:0' });
    expect(config.llm.agent).toEqual({
      provider: 'bedrock',
      modelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
    });
    // Both default models are priced for the deploy Region's profiles.
    expect(config.llm.prices).toHaveProperty(['eu.amazon.nova-lite-v1:0']);
    expect(config.llm.prices).toHaveProperty(['eu.anthropic.claude-sonnet-4-20250514-v1:0']);
    expect(config.queue).toMatchObject({ deadLetterUrl: expect.stringContaining(`/${ids.dlq}.fifo`) });
    expect(config.projectSecretsPrefix).toBe('CodegenOrchestrator/');
    expect(config.secrets).toEqual({ driver: 'aws', kmsKeyId: expect.stringMatching(/^arn:aws:kms:/) });
    expect(config.agent.leaseSeconds).toBe(330);
    expect(config.tableNames).toMatchObject({
      projects: `${ids.projects}-physical`,
      checkpoints: `${ids.checkpoints}-physical`,
      usage: `${ids.usage}-physical`,
    });
  });

  it.each([
    ['webhook', 'webhook.ts'],
    ['consumer', 'queue-consumer.ts'],
  ] as const)('has the %s publish its metrics as embedded metric format', (name, handlerFile) => {
    const env = envOf(ids[name]);
    expect(env.METRICS_DRIVER).toBe('emf');
    expect(loadConfig(deployedEnv(ids[name])).metricsDriver).toBe('emf');
    // The dashboard and alarms select metrics by the service name the handler publishes under.
    const handler = readFileSync(new URL(`../../lambdas/handlers/${handlerFile}`, import.meta.url), 'utf8');
    expect(handler).toContain(`lambdaObservability('${env.POWERTOOLS_SERVICE_NAME}'`);
  });

  it('subscribes the consumer one update per invocation, with partial batch responses and a concurrency cap', () => {
    const mappings = s.template.findResources('AWS::Lambda::EventSourceMapping', {
      Properties: {
        FunctionName: ref(ids.consumer),
        EventSourceArn: arnOf(ids.queue),
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 20 },
      },
    });
    expect(Object.keys(mappings)).toHaveLength(1);
    expect(
      s.template.findResources('AWS::Lambda::EventSourceMapping', {
        Properties: { EventSourceArn: arnOf(ids.dlq) },
      }),
    ).toEqual({});
  });

  it('warns at synth about a configured model that has no price, and not about priced ones', () => {
    expect(Annotations.fromStack(s.stack).findWarning('*', Match.stringLikeRegexp('No price for'))).toEqual(
      [],
    );
    const unpriced = synthesize({
      context: { ...TEST_CONTEXT, bedrockIntentModelId: 'amazon.nova-micro-v1:0' },
    });
    Annotations.fromStack(unpriced.stack).hasWarning(
      '*',
      Match.stringLikeRegexp('No price for amazon.nova-micro-v1:0: .*modelPrices'),
    );
  });

  it('takes the consumer concurrency cap from the operator inputs', () => {
    const other = synthesize({ context: { ...TEST_CONTEXT, consumerMaxConcurrency: 4 } });
    other.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      ScalingConfig: { MaximumConcurrency: 4 },
    });
  });

  it("keeps the queue's visibility timeout at least 6 x the consumer timeout, as AWS advises for event sources", () => {
    const fn = s.template.toJSON().Resources[ids.consumer].Properties;
    const queue = s.template.toJSON().Resources[ids.queue].Properties;
    expect(queue.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn.Timeout);
  });
});
