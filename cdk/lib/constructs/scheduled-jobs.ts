import { Aws, Duration, Validations } from 'aws-cdk-lib';
import { Alarm, ComparisonOperator, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { type IRole, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IDestination } from 'aws-cdk-lib/aws-lambda';
import type { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { CfnSchedule, CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { ISecret } from 'aws-cdk-lib/aws-secretsmanager';
import type { ITopic } from 'aws-cdk-lib/aws-sns';
import { type IQueue, Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { JOBS, type JobName } from '../../../lambdas/config/schedules.ts';
import type { TableName } from '../../../lambdas/ports/key-value-store.ts';
import { type GitHubAppSettings, OrchestratorFunction } from './orchestrator-function.ts';

/** Delivery retries: the Scheduler's (to invoke) and Lambda's (a run that failed), each with backoff. */
export const JOB_RETRY_ATTEMPTS = 2;
export const JOB_MAX_EVENT_AGE = Duration.hours(1);

export interface ScheduledJobsProps {
  key: IKey;
  logRetention: RetentionDays;
  /** `<stackName>`: names the schedule group. */
  namePrefix: string;
  environment: Record<string, string>;
  tables: { get(name: TableName): ITable };
  /** The health check tells owners through the consumer's queue. */
  updateQueue: IQueue;
  /** Where the DLQ alarm goes (and so, to the admins in Telegram). */
  alarmTopic: ITopic;
  /** The repository sync reads repositories with the GitHub App. */
  github?: GitHubAppSettings;
  githubAppKey: ISecret;
}

/**
 * The scheduled jobs of lambdas/config/schedules.ts on EventBridge Scheduler: one schedule per job
 * in the stack's schedule group, each invoking the job's Lambda with a role that may invoke only
 * the job Lambdas. A run that fails is retried by Lambda (twice, with backoff), then lands in the
 * jobs' dead-letter queue with the error; so does an event the Scheduler could not deliver. Any
 * message there raises an alarm on the alarm topic.
 */
export class ScheduledJobs extends Construct {
  readonly group: CfnScheduleGroup;
  readonly functions: Record<JobName, OrchestratorFunction>;
  readonly schedules: Record<JobName, CfnSchedule>;
  readonly schedulerRole: Role;
  readonly deadLetterQueue: Queue;
  readonly deadLettersAlarm: Alarm;

  constructor(scope: Construct, id: string, props: ScheduledJobsProps) {
    super(scope, id);
    this.group = new CfnScheduleGroup(this, 'Group', { name: `${props.namePrefix}-jobs` });
    this.deadLetterQueue = new Queue(this, 'DeadLetters', {
      encryption: QueueEncryption.KMS,
      encryptionMasterKey: props.key,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(this.deadLetterQueue).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the dead-letter queue of the scheduled jobs (the schedules DeadLetterConfig and the job Lambdas on-failure destination); a DLQ of a DLQ would only hide failures.',
    });
    this.schedulerRole = new Role(this, 'SchedulerRole', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID } },
      }),
      description:
        'EventBridge Scheduler: invokes the scheduled job Lambdas, dead-letters what it cannot deliver',
    });
    allowSendTo(this.schedulerRole, this.deadLetterQueue);
    // The queue as a Lambda on-failure destination, granted below with exactly SendMessage.
    const deadLetters: IDestination = { bind: () => ({ destination: this.deadLetterQueue.queueArn }) };

    const built = JOBS.map((spec) => {
      const fn = new OrchestratorFunction(this, pascal(spec.name), {
        entry: spec.entry,
        serviceName: `job-${spec.name}`,
        description: spec.description,
        logRetention: props.logRetention,
        timeout: Duration.seconds(spec.timeoutSeconds),
        environment: props.environment,
      });
      // The job's lease lock (sessions) and its records on the projects (projects, runs).
      fn.useTable(props.tables.get('sessions'), 'sessions', 'readWrite').useTable(
        props.tables.get('projects'),
        'projects',
        'readWrite',
      );
      allowSendTo(fn.role, this.deadLetterQueue);
      fn.fn.configureAsyncInvoke({
        retryAttempts: JOB_RETRY_ATTEMPTS,
        maxEventAge: JOB_MAX_EVENT_AGE,
        onFailure: deadLetters,
      });
      const schedule = new CfnSchedule(this, `${pascal(spec.name)}Schedule`, {
        groupName: this.group.ref,
        description: spec.description,
        scheduleExpression: spec.expression,
        scheduleExpressionTimezone: 'UTC',
        flexibleTimeWindow: { mode: 'OFF' },
        state: 'ENABLED',
        target: {
          arn: fn.fn.functionArn,
          roleArn: this.schedulerRole.roleArn,
          input: JSON.stringify({ job: spec.name }),
          retryPolicy: {
            maximumRetryAttempts: JOB_RETRY_ATTEMPTS,
            maximumEventAgeInSeconds: JOB_MAX_EVENT_AGE.toSeconds(),
          },
          deadLetterConfig: { arn: this.deadLetterQueue.queueArn },
        },
      });
      return [spec.name, fn, schedule] as const;
    });
    this.functions = Object.fromEntries(built.map(([name, fn]) => [name, fn])) as Record<
      JobName,
      OrchestratorFunction
    >;
    this.schedules = Object.fromEntries(built.map(([name, , schedule]) => [name, schedule])) as Record<
      JobName,
      CfnSchedule
    >;
    // Only these functions (and their versions/aliases: none are published) may be invoked.
    this.schedulerRole.addToPolicy(
      new PolicyStatement({
        sid: 'InvokeTheJobLambdas',
        actions: ['lambda:InvokeFunction'],
        resources: built.map(([, fn]) => fn.fn.functionArn),
      }),
    );

    // The health check puts "your service is down / back" into the owner's chat.
    this.functions['health-check'].sendsTo(props.updateQueue);
    // The repository sync reads repositories with the GitHub App (or does nothing without one).
    this.functions['repository-sync']
      .namesQueue(props.updateQueue)
      .usesGitHubApp(props.github, props.githubAppKey);

    this.deadLettersAlarm = new Alarm(this, 'JobsDeadLetters', {
      alarmDescription:
        'A scheduled job (repository sync or health check) failed after its retries, or the Scheduler could not invoke it: read the message in the jobs DLQ (its requestContext and responsePayload name the run and the error), then the job Lambda logs around that time. Fix, then purge the DLQ; the next scheduled run picks up.',
      metric: this.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
        period: Duration.minutes(1),
        statistic: Stats.MAXIMUM,
      }),
      threshold: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      evaluationPeriods: 1,
      treatMissingData: TreatMissingData.NOT_BREACHING,
    });
    this.deadLettersAlarm.addAlarmAction(new SnsAction(props.alarmTopic));
  }
}

function pascal(name: string): string {
  return name.replace(/(^|-)([a-z])/g, (_, __, c: string) => c.toUpperCase());
}

/** sqs:SendMessage on the queue, and the key calls SSE-KMS needs, only through SQS. */
function allowSendTo(role: IRole, queue: Queue): void {
  role.addToPrincipalPolicy(
    new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }),
  );
  const key = queue.encryptionMasterKey;
  if (!key) return;
  role.addToPrincipalPolicy(
    new PolicyStatement({
      actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
      resources: [key.keyArn],
      conditions: { StringEquals: { 'kms:ViaService': `sqs.${Aws.REGION}.amazonaws.com` } },
    }),
  );
}
