import { isDeepStrictEqual } from 'node:util';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, allIdentityStatements, allows, type Statement, statementsOfRole } from './support/iam.ts';
import { arnOf, ref, type Synthesized, synthesize, TEST_CONTEXT } from './support/synth.ts';

/** The service in a statement's `kms:ViaService` condition (`sqs`, `secretsmanager`), if any. */
function viaService(statement: Statement): string | undefined {
  const via = statement.conditions?.StringEquals?.['kms:ViaService'];
  return via === undefined ? undefined : joined(via).split('.')[0];
}

interface RawStatement {
  Action: string | string[];
  Resource: unknown;
  Condition?: { StringEquals?: Record<string, unknown> };
}

/** The role's statements as the template has them, conditions included. */
function rawStatementsOfRole(roleId: string): RawStatement[] {
  const policies = Object.values(s.template.findResources('AWS::IAM::Policy')) as {
    Properties: { Roles?: unknown[]; PolicyDocument: { Statement: RawStatement[] } };
  }[];
  return policies
    .filter((p) => (p.Properties.Roles ?? []).some((r) => isDeepStrictEqual(r, { Ref: roleId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement);
}

/** An ARN as one string, `<AWS::Region>` for each Ref (as cdk-nag writes them), so tests read it as written. */
function joined(arn: unknown): string {
  if (typeof arn === 'string') return arn;
  const [, parts] = (arn as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  return parts.map((p) => (typeof p === 'string' ? p : `<${(p as { Ref: string }).Ref}>`)).join('');
}

let s: Synthesized;
let ids: ReturnType<typeof resourceIds>;
let webhook: Statement[];
let consumer: Statement[];

function resourceIds() {
  const { frontDoor, updateQueue, tables, secrets } = s.stack;
  return {
    webhookRole: s.logicalId(frontDoor.webhook.role),
    consumerRole: s.logicalId(updateQueue.consumer.role),
    webhookLogs: s.logicalId(frontDoor.webhook.logGroup),
    queue: s.logicalId(updateQueue.queue),
    dlq: s.logicalId(updateQueue.deadLetterQueue),
    dedup: s.logicalId(tables.get('dedup')),
    users: s.logicalId(tables.get('users')),
    sessions: s.logicalId(tables.get('sessions')),
    projects: s.logicalId(tables.get('projects')),
    checkpoints: s.logicalId(tables.get('checkpoints')),
    usage: s.logicalId(tables.get('usage')),
    key: s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key')),
    webhookSecret: s.logicalId(secrets.webhookSecret),
    botToken: s.logicalId(secrets.botToken),
  };
}

beforeAll(() => {
  s = synthesize();
  ids = resourceIds();
  webhook = statementsOfRole(s.template, ids.webhookRole);
  consumer = statementsOfRole(s.template, ids.consumerRole);
});

describe('webhook role', () => {
  it('touches no table at all: one SendMessage per update is its only AWS write', () => {
    for (const table of [ids.dedup, ids.users, ids.sessions, ids.projects, ids.checkpoints, ids.usage]) {
      expect(actionsOn(webhook, table)).toEqual([]);
    }
    expect(webhook.flatMap((st) => st.actions).filter((a) => a.startsWith('dynamodb:'))).toEqual([]);
  });

  it('can send to the update queue but touch nothing on the DLQ', () => {
    expect(actionsOn(webhook, ids.queue)).toEqual(['sqs:SendMessage']);
    expect(actionsOn(webhook, ids.dlq)).toEqual([]);
  });

  it('uses the key for SQS only through SQS', () => {
    const onKey = webhook.filter((st) => st.actions.some((a) => a.startsWith('kms:')));
    expect(onKey.length).toBeGreaterThan(0);
    for (const statement of onKey) {
      expect(statement.resources).toEqual([arnOf(ids.key)]);
      expect(['sqs', 'secretsmanager']).toContain(viaService(statement));
    }
    const throughSqs = onKey.filter((st) => viaService(st) === 'sqs');
    expect(throughSqs.flatMap((st) => st.actions).sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
  });

  it('reads both Telegram secrets', () => {
    for (const secret of [ids.webhookSecret, ids.botToken]) {
      expect(allows(webhook, 'secretsmanager:GetSecretValue', ref(secret))).toBe(true);
    }
    expect(webhook.flatMap((st) => st.actions)).not.toContain('secretsmanager:PutSecretValue');
  });

  it('writes logs only to its own log group, with no managed policy', () => {
    expect(allows(webhook, 'logs:PutLogEvents', arnOf(ids.webhookLogs))).toBe(true);
    expect(allows(webhook, 'logs:CreateLogStream', arnOf(ids.webhookLogs))).toBe(true);
    expect(actionsOn(webhook, ids.webhookLogs).sort()).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
    const withManaged = s.template.findResources('AWS::IAM::Role', {
      Properties: { ManagedPolicyArns: Match.anyValue() },
    });
    expect(withManaged).toEqual({});
  });
});

describe('consumer role', () => {
  it('consumes the update queue and retries with ChangeMessageVisibility, but never sends to it', () => {
    for (const action of [
      'sqs:ReceiveMessage',
      'sqs:DeleteMessage',
      'sqs:ChangeMessageVisibility',
      'sqs:GetQueueAttributes',
    ]) {
      expect(allows(consumer, action, arnOf(ids.queue))).toBe(true);
    }
    expect(actionsOn(consumer, ids.queue)).not.toContain('sqs:SendMessage');
  });

  it('moves a message to the DLQ itself: SendMessage on the DLQ and nothing else there', () => {
    expect(actionsOn(consumer, ids.dlq)).toEqual(['sqs:SendMessage']);
  });

  it('uses the key for its queues only through SQS', () => {
    const throughSqs = consumer.filter((st) => viaService(st) === 'sqs');
    expect([...new Set(throughSqs.flatMap((st) => st.actions))].sort()).toEqual([
      'kms:Decrypt',
      'kms:GenerateDataKey',
    ]);
    for (const statement of consumer.filter((st) => st.actions.some((a) => a.startsWith('kms:')))) {
      expect(statement.resources).toEqual([arnOf(ids.key)]);
      expect(['sqs', 'secretsmanager']).toContain(viaService(statement));
    }
  });

  it('takes, reads and releases dedup records: Put, Get and Delete only', () => {
    expect(actionsOn(consumer, ids.dedup).sort()).toEqual([
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
    ]);
  });

  it('writes users, sessions, projects, checkpoints and usage, and has nothing on the webhook secret', () => {
    for (const table of [ids.users, ids.sessions, ids.projects, ids.checkpoints, ids.usage]) {
      expect(actionsOn(consumer, table).sort()).toEqual([
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ]);
      expect(allows(consumer, 'dynamodb:UpdateItem', arnOf(table))).toBe(true);
    }
    expect(actionsOn(consumer, ids.webhookSecret)).toEqual([]);
  });

  it("keeps project secrets with exactly SecretsManagerStore's calls, under this stack's four prefixes only", () => {
    const onSecrets = consumer.filter((st) => st.actions.some((a) => a.startsWith('secretsmanager:')));
    const projectSecrets = onSecrets.filter((st) => !isDeepStrictEqual(st.resources, [ref(ids.botToken)]));
    expect(projectSecrets).toHaveLength(1);
    const [statement] = projectSecrets;
    expect(statement?.actions.sort()).toEqual([
      'secretsmanager:CreateSecret',
      'secretsmanager:DeleteSecret',
      'secretsmanager:GetSecretValue',
      'secretsmanager:PutSecretValue',
      'secretsmanager:RestoreSecret',
      'secretsmanager:TagResource',
    ]);
    expect(statement?.resources.map(joined).sort()).toEqual([
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/bot-pool/*',
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/chat-secrets/*',
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/projects/*',
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/servers/*',
    ]);
    // The bot token stays read-only.
    expect(actionsOn(consumer, ids.botToken).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('lets Secrets Manager use the stack key for it, and only through Secrets Manager', () => {
    const throughSecretsManager = consumer.filter(
      (st) => st.actions.includes('kms:GenerateDataKey') && viaService(st) === 'secretsmanager',
    );
    expect(throughSecretsManager).toHaveLength(1);
    expect(throughSecretsManager[0]?.actions.sort()).toEqual(['kms:Decrypt', 'kms:GenerateDataKey']);
    expect(throughSecretsManager[0]?.resources).toEqual([arnOf(ids.key)]);
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      Roles: [ref(ids.consumerRole)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: {
              StringEquals: {
                'kms:ViaService': {
                  'Fn::Join': ['', ['secretsmanager.', { Ref: 'AWS::Region' }, '.amazonaws.com']],
                },
              },
            },
          }),
        ]),
      },
    });
  });

  it('invokes only the two configured Bedrock models, the foundation models only through their profiles, and the embedding model', () => {
    const allOnBedrock = rawStatementsOfRole(ids.consumerRole).filter((st) =>
      [st.Action].flat().some((a) => a.startsWith('bedrock:')),
    );
    // Project knowledge's embedder (usesProjectKnowledge): Titan Text Embeddings V2, in the Region.
    const isEmbedding = (st: RawStatement) => JSON.stringify(st.Resource).includes('titan-embed');
    expect(
      allOnBedrock.filter(isEmbedding).map((st) => [st.Action, [st.Resource].flat().map(joined)]),
    ).toEqual([
      [
        'bedrock:InvokeModel',
        ['arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/amazon.titan-embed-text-v2:0'],
      ],
    ]);
    const onBedrock = allOnBedrock.filter((st) => !isEmbedding(st));
    expect(onBedrock.map((st) => st.Action)).toEqual([
      'bedrock:InvokeModel',
      'bedrock:InvokeModel',
      'bedrock:InvokeModel',
    ]);
    const profileArn = (id: string) =>
      `arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/${id}`;
    const shaped = onBedrock.map((st) => ({
      resources: [st.Resource].flat().map(joined).sort(),
      profile: st.Condition ? joined(st.Condition.StringEquals?.['bedrock:InferenceProfileArn']) : undefined,
    }));
    expect(shaped).toEqual([
      {
        resources: [
          profileArn('eu.amazon.nova-lite-v1:0'),
          profileArn('eu.anthropic.claude-sonnet-4-20250514-v1:0'),
        ],
        profile: undefined,
      },
      {
        resources: ['arn:<AWS::Partition>:bedrock:*::foundation-model/amazon.nova-lite-v1:0'],
        profile: profileArn('eu.amazon.nova-lite-v1:0'),
      },
      {
        resources: [
          'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
        ],
        profile: profileArn('eu.anthropic.claude-sonnet-4-20250514-v1:0'),
      },
    ]);
    // No statement allows a foundation model in every Region without the profile condition.
    for (const st of onBedrock) {
      if (
        [st.Resource]
          .flat()
          .map(joined)
          .some((r) => r.includes(':bedrock:*:'))
      ) {
        expect(st.Condition?.StringEquals?.['bedrock:InferenceProfileArn']).toBeDefined();
      }
    }
  });

  it('scopes a plain foundation model id to the deploy Region, with no wildcard', () => {
    const other = synthesize({
      context: {
        ...TEST_CONTEXT,
        bedrockIntentModelId: 'amazon.nova-micro-v1:0',
        bedrockAgentModelId: 'anthropic.claude-3-haiku-20240307-v1:0',
      },
    });
    const statements = statementsOfRole(
      other.template,
      other.logicalId(other.stack.updateQueue.consumer.role),
    );
    const onBedrock = statements.filter((st) => st.actions.includes('bedrock:InvokeModel'));
    expect(onBedrock.flatMap((st) => st.resources).map(joined)).toEqual([
      'arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/amazon.nova-micro-v1:0',
      'arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
      // Project knowledge's embedder.
      'arn:<AWS::Partition>:bedrock:<AWS::Region>::foundation-model/amazon.titan-embed-text-v2:0',
    ]);
  });

  it('starts, lists and reads engineering and devops runs and answers waiting tasks (startsPipeline), nothing more of Step Functions', () => {
    const name = 'CodegenOrchestrator-engineering';
    const onStates = consumer.filter((st) => st.actions.some((a) => a.startsWith('states:')));
    expect(
      onStates.map((st) => ({ actions: [...st.actions].sort(), resources: st.resources.map(joined) })),
    ).toEqual([
      {
        actions: ['states:ListExecutions', 'states:StartExecution'],
        resources: [`arn:aws:states:eu-west-1:<AWS::AccountId>:stateMachine:${name}`],
      },
      {
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: [`arn:aws:states:eu-west-1:<AWS::AccountId>:execution:${name}:*`],
      },
      // A task token is its own credential: SendTaskSuccess takes no resource.
      { actions: ['states:SendTaskSuccess'], resources: ['*'] },
      // The same for the devops pipeline: deploys started, and resumed with a secret the owner sent.
      {
        actions: ['states:ListExecutions', 'states:StartExecution'],
        resources: ['arn:aws:states:eu-west-1:<AWS::AccountId>:stateMachine:CodegenOrchestrator-devops'],
      },
      {
        actions: ['states:DescribeExecution', 'states:GetExecutionHistory'],
        resources: ['arn:aws:states:eu-west-1:<AWS::AccountId>:execution:CodegenOrchestrator-devops:*'],
      },
      { actions: ['states:SendTaskSuccess'], resources: ['*'] },
    ]);
    // It never fails a task, stops a run or starts one elsewhere.
    const actions = consumer.flatMap((st) => st.actions);
    for (const action of ['states:SendTaskFailure', 'states:StopExecution', 'states:RedriveExecution']) {
      expect(actions).not.toContain(action);
    }
    expect(webhook.flatMap((st) => st.actions).filter((a) => a.startsWith('states:'))).toEqual([]);
  });

  it('gives the webhook nothing of the agent: no Bedrock, no project secrets, no agent tables', () => {
    expect(webhook.flatMap((st) => st.actions).filter((a) => a.startsWith('bedrock:'))).toEqual([]);
    expect(webhook.flatMap((st) => st.actions)).not.toContain('secretsmanager:CreateSecret');
    for (const table of [ids.projects, ids.checkpoints, ids.usage, ids.sessions]) {
      expect(actionsOn(webhook, table)).toEqual([]);
    }
  });
});

describe('least privilege across the stack', () => {
  it('grants no wildcard actions', () => {
    const actions = allIdentityStatements(s.template).flatMap((st) => st.actions);
    expect(actions.filter((a) => a.includes('*'))).toEqual([]);
  });

  it('uses Resource "*" only for actions that take no resource-level permissions', () => {
    // Each of these is authorized against "*" by AWS (no resource type in the service's
    // authorization reference); every other statement names its resources.
    const unscopedOnly = new Set([
      // X-Ray (Lambda tracing, Step Functions tracing).
      'xray:PutTraceSegments',
      'xray:PutTelemetryRecords',
      'xray:GetSamplingRules',
      'xray:GetSamplingTargets',
      // Step Functions logging: CloudWatch Logs vended delivery.
      'logs:CreateLogDelivery',
      'logs:GetLogDelivery',
      'logs:UpdateLogDelivery',
      'logs:DeleteLogDelivery',
      'logs:ListLogDeliveries',
      'logs:PutResourcePolicy',
      'logs:DescribeResourcePolicies',
      'logs:DescribeLogGroups',
      // Task tokens are the credential: workers report, the consumer answers escalations.
      'states:SendTaskSuccess',
      'states:SendTaskFailure',
      'states:SendTaskHeartbeat',
      // Claude Code lists inference profiles; Fargate pulls images with an ECR token.
      'bedrock:ListInferenceProfiles',
      'ecr:GetAuthorizationToken',
    ]);
    const unscoped = allIdentityStatements(s.template).filter((st) => st.resources.includes('*'));
    expect(unscoped.length).toBeGreaterThan(0);
    for (const statement of unscoped) {
      expect(statement.resources).toEqual(['*']);
      if (statement.actions.includes('ecs:ListTasks')) {
        // Authorized against container instances, which Fargate has none of: held to one cluster.
        expect(statement.actions).toEqual(['ecs:ListTasks']);
        expect(Object.keys(statement.conditions?.ArnEquals ?? {})).toEqual(['ecs:cluster']);
        continue;
      }
      for (const action of statement.actions) expect(unscopedOnly, action).toContain(action);
    }
  });

  it('never grants dynamodb:Scan', () => {
    const actions = allIdentityStatements(s.template).flatMap((st) => st.actions);
    expect(actions).not.toContain('dynamodb:Scan');
  });
});
