import { isDeepStrictEqual } from 'node:util';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, allIdentityStatements, allows, type Statement, statementsOfRole } from './support/iam.ts';
import { arnOf, ref, type Synthesized, synthesize, TEST_CONTEXT } from './support/synth.ts';

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
  it('can write the dedup table and only read users', () => {
    for (const action of ['dynamodb:PutItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem']) {
      expect(allows(webhook, action, arnOf(ids.dedup))).toBe(true);
    }
    expect(actionsOn(webhook, ids.users).sort()).toEqual(['dynamodb:GetItem', 'dynamodb:Query']);
  });

  it('has no access to the sessions table', () => {
    expect(actionsOn(webhook, ids.sessions)).toEqual([]);
  });

  it('can send to the update queue but touch nothing on the DLQ', () => {
    expect(actionsOn(webhook, ids.queue)).toEqual(['sqs:SendMessage']);
    expect(actionsOn(webhook, ids.dlq)).toEqual([]);
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
  it('consumes the update queue and never the DLQ', () => {
    for (const action of ['sqs:ReceiveMessage', 'sqs:DeleteMessage', 'sqs:ChangeMessageVisibility']) {
      expect(allows(consumer, action, arnOf(ids.queue))).toBe(true);
    }
    expect(actionsOn(consumer, ids.queue)).not.toContain('sqs:SendMessage');
    expect(actionsOn(consumer, ids.dlq)).toEqual([]);
  });

  it('writes users, sessions, projects, checkpoints and usage, and has nothing on dedup or the webhook secret', () => {
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
    expect(actionsOn(consumer, ids.dedup)).toEqual([]);
    expect(actionsOn(consumer, ids.webhookSecret)).toEqual([]);
  });

  it("keeps project secrets with exactly SecretsManagerStore's calls, under this stack's two prefixes only", () => {
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
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/chat-secrets/*',
      'arn:<AWS::Partition>:secretsmanager:<AWS::Region>:<AWS::AccountId>:secret:CodegenOrchestrator/projects/*',
    ]);
    // The bot token stays read-only.
    expect(actionsOn(consumer, ids.botToken).sort()).toEqual([
      'secretsmanager:DescribeSecret',
      'secretsmanager:GetSecretValue',
    ]);
  });

  it('lets Secrets Manager use the stack key for it, and only through Secrets Manager', () => {
    const throughSecretsManager = consumer.filter((st) => st.actions.includes('kms:GenerateDataKey'));
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

  it('invokes only the two configured Bedrock models, through their inference profiles', () => {
    const onBedrock = consumer.filter((st) => st.actions.some((a) => a.startsWith('bedrock:')));
    expect(onBedrock).toHaveLength(1);
    expect(onBedrock[0]?.actions).toEqual(['bedrock:InvokeModel']);
    const resources = onBedrock[0]?.resources.map(joined);
    expect(resources?.sort()).toEqual([
      'arn:<AWS::Partition>:bedrock:*::foundation-model/amazon.nova-lite-v1:0',
      'arn:<AWS::Partition>:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/us.amazon.nova-lite-v1:0',
      'arn:<AWS::Partition>:bedrock:<AWS::Region>:<AWS::AccountId>:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0',
    ]);
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
    ]);
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

  it('uses Resource "*" only for the X-Ray actions, which have no resource-level permissions', () => {
    const unscoped = allIdentityStatements(s.template).filter((st) => st.resources.includes('*'));
    expect(unscoped.length).toBeGreaterThan(0);
    for (const statement of unscoped) {
      expect(statement.actions.sort()).toEqual(['xray:PutTelemetryRecords', 'xray:PutTraceSegments']);
    }
  });

  it('never grants dynamodb:Scan', () => {
    const actions = allIdentityStatements(s.template).flatMap((st) => st.actions);
    expect(actions).not.toContain('dynamodb:Scan');
  });
});
