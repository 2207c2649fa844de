import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { actionsOn, allIdentityStatements, allows, type Statement, statementsOfRole } from './support/iam.ts';
import { arnOf, ref, type Synthesized, synthesize } from './support/synth.ts';

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

  it('writes users and sessions, and has nothing on dedup or the webhook secret', () => {
    for (const table of [ids.users, ids.sessions]) {
      expect(allows(consumer, 'dynamodb:PutItem', arnOf(table))).toBe(true);
      expect(allows(consumer, 'dynamodb:UpdateItem', arnOf(table))).toBe(true);
    }
    expect(actionsOn(consumer, ids.dedup)).toEqual([]);
    expect(actionsOn(consumer, ids.webhookSecret)).toEqual([]);
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
