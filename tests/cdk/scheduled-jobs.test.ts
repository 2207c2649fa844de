import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { JOBS } from '../../lambdas/config/schedules.ts';
import { arnOf, ref, type Synthesized, synthesize } from './support/synth.ts';

let s: Synthesized;

beforeAll(() => {
  s = synthesize();
});

type PolicyDoc = {
  Properties: {
    Roles?: unknown[];
    PolicyDocument: { Statement: Array<{ Action: string | string[]; Resource: unknown }> };
  };
};

function statementsOfRole(roleId: string) {
  const policies = Object.values(s.template.findResources('AWS::IAM::Policy')) as PolicyDoc[];
  return policies
    .filter((p) => (p.Properties.Roles ?? []).some((r) => JSON.stringify(r) === JSON.stringify(ref(roleId))))
    .flatMap((p) => p.Properties.PolicyDocument.Statement)
    .map((st) => ({ actions: [st.Action].flat(), resource: st.Resource }));
}

describe('scheduled jobs', () => {
  it.each(JOBS)('schedules $name on $expression in the stack group, with retries and the DLQ', (job) => {
    // Prepare
    const { jobs } = s.stack;

    // Assess
    s.template.hasResourceProperties('AWS::Scheduler::Schedule', {
      ScheduleExpression: job.expression,
      ScheduleExpressionTimezone: 'UTC',
      GroupName: ref(s.logicalId(jobs.group)),
      FlexibleTimeWindow: { Mode: 'OFF' },
      Target: {
        Arn: arnOf(s.logicalId(jobs.functions[job.name].fn)),
        RoleArn: arnOf(s.logicalId(jobs.schedulerRole)),
        RetryPolicy: { MaximumRetryAttempts: 2, MaximumEventAgeInSeconds: 3600 },
        DeadLetterConfig: { Arn: arnOf(s.logicalId(jobs.deadLetterQueue)) },
      },
    });
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Handler: 'index.handler',
      Timeout: job.timeoutSeconds,
      Environment: { Variables: Match.objectLike({ POWERTOOLS_SERVICE_NAME: `job-${job.name}` }) },
    });
  });

  it('retries a failed run twice, then sends it to the jobs DLQ', () => {
    // Assess
    const dlq = s.logicalId(s.stack.jobs.deadLetterQueue);
    for (const job of JOBS) {
      s.template.hasResourceProperties('AWS::Lambda::EventInvokeConfig', {
        FunctionName: ref(s.logicalId(s.stack.jobs.functions[job.name].fn)),
        MaximumRetryAttempts: 2,
        MaximumEventAgeInSeconds: 3600,
        DestinationConfig: { OnFailure: { Destination: arnOf(dlq) } },
      });
    }
  });

  it('lets the scheduler role invoke exactly the job Lambdas and send to the DLQ, nothing else', () => {
    // Prepare
    const roleId = s.logicalId(s.stack.jobs.schedulerRole);
    const statements = statementsOfRole(roleId);
    const jobArns = JOBS.map((j) => arnOf(s.logicalId(s.stack.jobs.functions[j.name].fn)));

    // Assess
    const invoke = statements.filter((st) => st.actions.includes('lambda:InvokeFunction'));
    expect(invoke).toEqual([
      { actions: ['lambda:InvokeFunction'], resource: expect.arrayContaining(jobArns) },
    ]);
    expect(invoke[0]?.resource).toHaveLength(jobArns.length);
    const others = statements.filter((st) => !st.actions.includes('lambda:InvokeFunction'));
    expect(
      others.flatMap((st) => st.actions).every((a) => /^(sqs:SendMessage|sqs:GetQueue|kms:)/.test(a)),
    ).toBe(true);
    s.template.hasResourceProperties('AWS::IAM::Role', {
      AssumeRolePolicyDocument: {
        Statement: [
          Match.objectLike({
            Principal: { Service: 'scheduler.amazonaws.com' },
            Condition: { StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } } },
          }),
        ],
      },
    });
  });

  it('gives the job Lambdas only their tables; the health check sends to the queue and, to recover services, starts runs and reads the bot token', () => {
    // Prepare
    const { functions } = s.stack.jobs;
    const statementsOf = (name: 'health-check' | 'repository-sync') =>
      statementsOfRole(s.logicalId(functions[name].role));
    const actionsOf = (name: 'health-check' | 'repository-sync') =>
      statementsOf(name).flatMap((st) => st.actions);
    const sendsTo = (name: 'health-check' | 'repository-sync') =>
      statementsOf(name)
        .filter((st) => st.actions.includes('sqs:SendMessage'))
        .flatMap((st) => [st.resource].flat());
    const tablesOf = (name: 'health-check' | 'repository-sync') =>
      new Set(
        statementsOf(name)
          .filter((st) => st.actions.some((a) => a.startsWith('dynamodb:')))
          .flatMap((st) => [st.resource].flat())
          .map((r) => JSON.stringify(r)),
      );
    const dlq = arnOf(s.logicalId(s.stack.jobs.deadLetterQueue));
    const updates = arnOf(s.logicalId(s.stack.updateQueue.queue));

    // Assess
    const health = actionsOf('health-check');
    expect(sendsTo('health-check')).toEqual(expect.arrayContaining([dlq, updates]));
    expect(sendsTo('health-check')).toHaveLength(2);
    const own = new Set(
      (['sessions', 'projects'] as const).map((t) =>
        JSON.stringify(arnOf(s.logicalId(s.stack.tables.get(t)))),
      ),
    );
    expect(tablesOf('health-check')).toEqual(own);
    expect(tablesOf('repository-sync')).toEqual(own);
    // Self-recovery: the bot token (the fix offer's buttons) and starting runs of the two pipelines.
    const secretResources = statementsOf('health-check')
      .filter((st) => st.actions.some((a) => a.startsWith('secretsmanager:')))
      .flatMap((st) => [st.resource].flat());
    expect(secretResources).toEqual([{ Ref: s.logicalId(s.stack.secrets.botToken) }]);
    const starts = statementsOf('health-check')
      .filter((st) => st.actions.includes('states:StartExecution'))
      .flatMap((st) => [st.resource].flat());
    expect(starts).toHaveLength(2);
    expect(health.some((a) => a.startsWith('lambda:') || a === '*')).toBe(false);
    const sync = actionsOf('repository-sync');
    // Only its failed runs, to the jobs DLQ: it tells nobody anything.
    expect(sendsTo('repository-sync')).toEqual([dlq]);
    expect(sync).toContain('secretsmanager:GetSecretValue');
  });

  it('alarms on any message in the jobs DLQ, to the alarm topic', () => {
    // Assess
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [
        {
          Name: 'QueueName',
          Value: { 'Fn::GetAtt': [s.logicalId(s.stack.jobs.deadLetterQueue), 'QueueName'] },
        },
      ],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [ref(s.logicalId(s.stack.alarms.topic))],
    });
  });
});

describe('alarms in Telegram', () => {
  it('subscribes the notifier Lambda to the alarm topic', () => {
    // Assess
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: ref(s.logicalId(s.stack.alarms.topic)),
      Endpoint: arnOf(s.logicalId(s.stack.alarmNotifier.function.fn)),
    });
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      Principal: 'sns.amazonaws.com',
      SourceArn: ref(s.logicalId(s.stack.alarms.topic)),
    });
  });

  it('lets the notifier read the bot token, and do nothing else of note', () => {
    // Prepare
    const fn = s.stack.alarmNotifier.function;
    const actions = statementsOfRole(s.logicalId(fn.role)).flatMap((st) => st.actions);

    // Assess
    expect(actions).toContain('secretsmanager:GetSecretValue');
    expect(
      actions.some((a) => a.startsWith('dynamodb:') || a.startsWith('sqs:') || a.startsWith('bedrock:')),
    ).toBe(false);
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          POWERTOOLS_SERVICE_NAME: 'alarm-notifier',
          ADMIN_TELEGRAM_IDS: '111,222',
          BOT_TOKEN_SECRET_ID: ref(s.logicalId(s.stack.secrets.botToken)),
        }),
      },
    });
  });
});
