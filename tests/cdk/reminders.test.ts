import { beforeAll, describe, expect, it } from 'vitest';
import { synthesize } from './support/synth.ts';

/** Reminders: the consumer schedules in its own group only, passing a role that can only send to the queue. */
type Statement = { Action: string | string[]; Resource: unknown; Condition?: unknown; Sid?: string };
type Resource = { Type: string; Properties: Record<string, unknown> };

let resources: Record<string, Resource>;
let json: string;

beforeAll(() => {
  const s = synthesize();
  resources = s.template.toJSON().Resources as Record<string, Resource>;
  json = JSON.stringify(resources);
});

const statements = (pred: (r: Resource) => boolean): Statement[] =>
  Object.values(resources)
    .filter((r) => r.Type === 'AWS::IAM::Policy' && pred(r))
    .flatMap((r) => (r.Properties.PolicyDocument as { Statement: Statement[] }).Statement);
const actions = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);

describe('reminders', () => {
  it('has a schedule group of its own', () => {
    // Its own group: the scheduled jobs have theirs, and the consumer may touch only this one.
    const groups = Object.values(resources).filter(
      (r) => r.Type === 'AWS::Scheduler::ScheduleGroup' && /-reminders$/.test(String(r.Properties.Name)),
    );
    expect(groups).toHaveLength(1);
  });

  it('lets the consumer create and delete schedules in that group only, and pass only the scheduler role', () => {
    const all = statements(() => true);
    const create = all.filter((st) => actions(st).some((a) => a.startsWith('scheduler:')));
    expect(create).toHaveLength(1);
    expect(actions(create[0]!).sort()).toEqual(['scheduler:CreateSchedule', 'scheduler:DeleteSchedule']);
    expect(JSON.stringify(create[0]?.Resource)).toMatch(/:schedule\/[^"]*-reminders\/\*/);
    const pass = all.filter((st) => st.Sid === 'PassTheReminderRoleToScheduler');
    expect(pass).toHaveLength(1);
    expect(pass[0]?.Condition).toEqual({
      StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' },
    });
    expect(JSON.stringify(pass[0]?.Resource)).toContain('RemindersSendsToUpdates');
  });

  it('gives the scheduler role sqs:SendMessage on the updates queue and nothing else of SQS', () => {
    const role = Object.entries(resources).find(
      ([id, r]) => r.Type === 'AWS::IAM::Role' && id.startsWith('RemindersSendsToUpdates'),
    );
    expect(role).toBeDefined();
    expect(JSON.stringify(role?.[1].Properties.AssumeRolePolicyDocument)).toContain(
      'scheduler.amazonaws.com',
    );
    const own = statements((r) => JSON.stringify(r.Properties.Roles).includes(role?.[0] ?? '?'));
    const sqs = own.filter((st) => actions(st).some((a) => a.startsWith('sqs:')));
    expect(sqs.flatMap(actions)).toEqual(['sqs:SendMessage']);
    expect(JSON.stringify(sqs[0]?.Resource)).toMatch(/Updates/);
    expect(own.flatMap(actions).filter((a) => !a.startsWith('sqs:') && !a.startsWith('kms:'))).toEqual([]);
  });

  it('tells the consumer its group, the role and the queue', () => {
    expect(json).toContain('SCHEDULER_GROUP_NAME');
    expect(json).toContain('SCHEDULER_ROLE_ARN');
    expect(json).toContain('UPDATES_QUEUE_ARN');
  });
});
