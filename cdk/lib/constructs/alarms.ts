import { Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import { Alarm, ComparisonOperator, type IMetric, Stats, TreatMissingData } from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { productMetric } from './product-metrics.ts';

export const MAX_QUEUE_AGE_SECONDS = 300;
/** The consumer alarms when its p99 duration passes this share of its timeout. */
export const NEAR_TIMEOUT_RATIO = 0.8;
/** Agent turns stopped at the token budget, per hour, that mean the budget or prompts need a look. */
export const BUDGET_STOPS_PER_HOUR = 5;

export interface AlarmsProps {
  key: IKey;
  alarmEmail?: string;
  webhook: IFunction;
  consumer: IFunction;
  /** The consumer's service name: the `service` dimension of the agent's own metrics. */
  consumerServiceName: string;
  /** The consumer's timeout, to alarm before runs hit it. */
  consumerTimeout: Duration;
  queue: IQueue;
  deadLetterQueue: IQueue;
  api: IHttpApi;
}

interface AlarmSpec {
  id: string;
  description: string;
  metric: IMetric;
  threshold: number;
  comparison: ComparisonOperator;
}

const ONE_MINUTE = { period: Duration.minutes(1) };
const AT_LEAST = ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;

/**
 * Alarms that mean "a user is not being answered", all notifying one KMS-encrypted SNS topic
 * (optionally subscribed by email): anything in the DLQ, a queue that stops draining, Lambda
 * errors and throttles, API 5xx, and consumer (agent) runs nearing their timeout. Plus one on the
 * agent's own metrics: people repeatedly hitting the per-request token budget.
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** Consumer p99 duration near its timeout: agent runs about to be cut off. */
  readonly consumerNearTimeout: Alarm;
  /** Agent turns stopped at AGENT_MAX_TOKENS_PER_REQUEST, BUDGET_STOPS_PER_HOUR or more in an hour. */
  readonly agentStoppedAtBudget: Alarm;

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Codegen orchestrator alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const sum = { ...ONE_MINUTE, statistic: Stats.SUM };
    const nearTimeout = Duration.seconds(props.consumerTimeout.toSeconds() * NEAR_TIMEOUT_RATIO);
    const specs: AlarmSpec[] = [
      {
        id: 'DeadLetters',
        description: 'Updates gave up after 5 attempts and wait in the DLQ: inspect, fix, redrive.',
        metric: props.deadLetterQueue.metricApproximateNumberOfMessagesVisible({
          ...ONE_MINUTE,
          statistic: Stats.MAXIMUM,
        }),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: 'QueueStalled',
        description: `The oldest queued update is over ${MAX_QUEUE_AGE_SECONDS} s old: the consumer is not keeping up.`,
        metric: props.queue.metricApproximateAgeOfOldestMessage({ ...ONE_MINUTE, statistic: Stats.MAXIMUM }),
        threshold: MAX_QUEUE_AGE_SECONDS,
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      ...this.lambdaSpecs('Webhook', props.webhook, sum),
      ...this.lambdaSpecs('Consumer', props.consumer, sum),
      {
        id: 'ConsumerNearTimeout',
        description: `The consumer's p99 duration passed ${nearTimeout.toSeconds()} s of its ${props.consumerTimeout.toSeconds()} s timeout: agent runs are about to be cut off (slow model calls, too many iterations).`,
        metric: props.consumer.metricDuration({ ...ONE_MINUTE, statistic: Stats.p(99) }),
        threshold: nearTimeout.toMilliseconds(),
        comparison: ComparisonOperator.GREATER_THAN_THRESHOLD,
      },
      {
        id: 'Api5xx',
        description: 'The webhook API answered 5xx: Telegram will retry and may back off.',
        metric: props.api.metricServerError(sum),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: 'AgentStoppedAtBudget',
        description: `Agent turns stopped at the per-request token budget ${BUDGET_STOPS_PER_HOUR} or more times in an hour: people are hitting it. Raise AGENT_MAX_TOKENS_PER_REQUEST on the consumer, or look at the prompts and tool results that fill the context.`,
        metric: productMetric('AgentStoppedAtBudget', props.consumerServiceName, {
          period: Duration.hours(1),
          statistic: Stats.SUM,
        }),
        threshold: BUDGET_STOPS_PER_HOUR,
        comparison: AT_LEAST,
      },
    ];
    const action = new SnsAction(this.topic);
    for (const spec of specs) {
      const alarm = new Alarm(this, spec.id, {
        alarmDescription: spec.description,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: 1,
        treatMissingData: TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push(alarm);
    }
    this.consumerNearTimeout = this.node.findChild('ConsumerNearTimeout') as Alarm;
    this.agentStoppedAtBudget = this.node.findChild('AgentStoppedAtBudget') as Alarm;
  }

  private lambdaSpecs(
    name: string,
    fn: IFunction,
    sum: typeof ONE_MINUTE & { statistic: string },
  ): AlarmSpec[] {
    return [
      {
        id: `${name}Errors`,
        description: `The ${name.toLowerCase()} Lambda failed an invocation.`,
        metric: fn.metricErrors(sum),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: `${name}Throttles`,
        description: `The ${name.toLowerCase()} Lambda was throttled: check account concurrency.`,
        metric: fn.metricThrottles(sum),
        threshold: 1,
        comparison: AT_LEAST,
      },
    ];
  }
}
