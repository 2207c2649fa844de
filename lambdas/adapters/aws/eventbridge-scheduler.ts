import {
  ConflictException,
  CreateScheduleCommand,
  DeleteScheduleCommand,
  ResourceNotFoundException,
  SchedulerClient,
} from '@aws-sdk/client-scheduler';
import type { OneOffSchedule, OneOffScheduler } from '../../ports/one-off-scheduler.ts';

export interface EventBridgeSchedulerOptions {
  /** The schedule group the consumer may create and delete schedules in (and nothing else). */
  groupName: string;
  /** The updates FIFO queue (content-based deduplication on: Scheduler sends no dedup id). */
  queueArn: string;
  /** The role Scheduler assumes to send to the queue: sqs:SendMessage on it, nothing more. */
  roleArn: string;
  client?: SchedulerClient;
}

/** `at(yyyy-mm-ddThh:mm:ss)` in UTC, to the second (Scheduler takes no milliseconds or zone suffix). */
export function atExpression(at: Date): string {
  return `at(${at.toISOString().slice(0, 19)})`;
}

/**
 * One-off schedules on EventBridge Scheduler: `at(...)` in UTC, no flexible window, deleted by
 * Scheduler once they ran (ActionAfterCompletion DELETE), their target the updates queue in the
 * chat's message group.
 */
export class EventBridgeScheduler implements OneOffScheduler {
  private readonly client: SchedulerClient;

  constructor(private readonly options: EventBridgeSchedulerOptions) {
    this.client = options.client ?? new SchedulerClient({});
  }

  async schedule(schedule: OneOffSchedule): Promise<void> {
    try {
      await this.client.send(
        new CreateScheduleCommand({
          Name: schedule.id,
          GroupName: this.options.groupName,
          ScheduleExpression: atExpression(schedule.at),
          ScheduleExpressionTimezone: 'UTC',
          FlexibleTimeWindow: { Mode: 'OFF' },
          ActionAfterCompletion: 'DELETE',
          State: 'ENABLED',
          Target: {
            Arn: this.options.queueArn,
            RoleArn: this.options.roleArn,
            Input: schedule.body,
            SqsParameters: { MessageGroupId: schedule.groupId },
            RetryPolicy: { MaximumEventAgeInSeconds: 86_400, MaximumRetryAttempts: 10 },
          },
        }),
      );
    } catch (error) {
      // The same id again (a replayed tool call): the schedule exists already.
      if (!(error instanceof ConflictException)) throw error;
    }
  }

  async cancel(id: string): Promise<boolean> {
    try {
      await this.client.send(new DeleteScheduleCommand({ Name: id, GroupName: this.options.groupName }));
      return true;
    } catch (error) {
      if (error instanceof ResourceNotFoundException) return false;
      throw error;
    }
  }
}
