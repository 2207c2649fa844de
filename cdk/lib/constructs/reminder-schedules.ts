import { ArnFormat, Stack, Token, Validations } from 'aws-cdk-lib';
import { Policy, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import { CfnScheduleGroup } from 'aws-cdk-lib/aws-scheduler';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { OrchestratorFunction } from './orchestrator-function.ts';

export interface ReminderSchedulesProps {
  /** `<stackName>`: names the schedule group. */
  namePrefix: string;
  /** The updates FIFO queue (content-based deduplication on) and its key. */
  updateQueue: IQueue;
  key: IKey;
  /** The consumer, which sets and cancels reminders. */
  consumer: OrchestratorFunction;
}

/**
 * Reminders as EventBridge Scheduler one-off schedules: a schedule group of their own, a role
 * Scheduler assumes that may only send to the updates queue, and the consumer allowed to create
 * and delete schedules in that group only, passing that role only.
 */
export class ReminderSchedules extends Construct {
  readonly groupName: string;
  readonly role: Role;

  constructor(scope: Construct, id: string, props: ReminderSchedulesProps) {
    super(scope, id);
    this.groupName = `${props.namePrefix}-reminders`;
    const group = new CfnScheduleGroup(this, 'Group', { name: this.groupName });
    const account = Stack.of(this).account;
    this.role = new Role(this, 'SendsToUpdates', {
      assumedBy: new ServicePrincipal('scheduler.amazonaws.com', {
        conditions: { StringEquals: { 'aws:SourceAccount': account } },
      }),
      description: 'EventBridge Scheduler: puts reminders into the updates queue, nothing else',
    });
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'SendRemindersToUpdates',
        actions: ['sqs:SendMessage'],
        resources: [props.updateQueue.queueArn],
      }),
    );
    // The queue is encrypted with the stack key: sending needs a data key, nothing more.
    this.role.addToPolicy(
      new PolicyStatement({
        sid: 'EncryptForTheQueue',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [props.key.keyArn],
      }),
    );

    const schedules = Stack.of(this).formatArn({
      service: 'scheduler',
      resource: 'schedule',
      resourceName: `${this.groupName}/*`,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    const fn = props.consumer.fn;
    const consumerPolicy = new Policy(this, 'ConsumerSchedules', {
      statements: [
        new PolicyStatement({
          sid: 'RemindersInTheirGroupOnly',
          actions: ['scheduler:CreateSchedule', 'scheduler:DeleteSchedule'],
          resources: [schedules],
        }),
        new PolicyStatement({
          sid: 'PassTheReminderRoleToScheduler',
          actions: ['iam:PassRole'],
          resources: [this.role.roleArn],
          conditions: { StringEquals: { 'iam:PassedToService': 'scheduler.amazonaws.com' } },
        }),
      ],
    });
    if (fn.role) consumerPolicy.attachToRole(fn.role);
    Validations.of(consumerPolicy).acknowledge({
      id: `AwsSolutions-IAM5[Resource::arn:${literal(Stack.of(this).partition, '<AWS::Partition>')}:scheduler:${literal(Stack.of(this).region, '<AWS::Region>')}:<AWS::AccountId>:schedule/${this.groupName}/*]`,
      reason:
        'Reminder schedules are named per reminder at run time; the consumer may create and delete them in its own schedule group only.',
    });
    fn.addEnvironment('SCHEDULER_GROUP_NAME', group.ref);
    fn.addEnvironment('SCHEDULER_ROLE_ARN', this.role.roleArn);
    fn.addEnvironment('UPDATES_QUEUE_ARN', props.updateQueue.queueArn);
  }
}

/** A stack attribute as cdk-nag prints it: its value when known at synth, else the pseudo parameter. */
function literal(value: string, pseudo: string): string {
  return Token.isUnresolved(value) ? pseudo : value;
}
