import { Aws, Duration } from 'aws-cdk-lib';
import type { IHttpApi } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  MathExpression,
  Metric,
  Stats,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import type { IKey } from 'aws-cdk-lib/aws-kms';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { Topic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { productMetric } from './product-metrics.ts';

export const MAX_QUEUE_AGE_SECONDS = 300;
/** The consumer alarms when its p99 duration passes this share of its timeout. */
export const NEAR_TIMEOUT_RATIO = 0.8;
/** Agent turns stopped at the token budget, per hour, that mean the budget or prompts need a look. */
export const BUDGET_STOPS_PER_HOUR = 5;
/** Requests without the right secret token in 5 minutes that mean a probe or a stale setWebhook. */
export const UNAUTHORIZED_PER_5_MIN = 20;
/** Model calls throttled in 5 minutes that mean the account's Bedrock quota is too low. */
export const MODEL_THROTTLES_PER_5_MIN = 5;

export interface AlarmsProps {
  key: IKey;
  alarmEmail?: string;
  webhook: IFunction;
  consumer: IFunction;
  /** The consumer's service name: the `service` dimension of the agent's own metrics. */
  consumerServiceName: string;
  /** The webhook's service name: the `service` dimension of the front door's metrics. */
  webhookServiceName: string;
  /** Bedrock model or inference profile ids the consumer calls (AWS/Bedrock `ModelId`). */
  bedrockModelIds: string[];
  /** The consumer's timeout, to alarm before runs hit it. */
  consumerTimeout: Duration;
  queue: IQueue;
  deadLetterQueue: IQueue;
  api: IHttpApi;
  /** The engineering pipeline: a failed or timed-out run means a build nobody finished. */
  engineeringStateMachine: IStateMachine;
  /**
   * The devops pipeline, and the count of its deploys that ended rolled back (the execution logs'
   * metric filter): a failed deploy, a rolled-back release, a run that hit its limit.
   */
  devops: { stateMachine: IStateMachine; rolledBack: IMetric };
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

const FIVE_MINUTES_SUM = { period: Duration.minutes(5), statistic: Stats.SUM };

/** AWS/Bedrock InvocationThrottles summed over the models (one metric per ModelId). */
function bedrockThrottles(modelIds: string[]): MathExpression {
  const usingMetrics = Object.fromEntries(
    [...new Set(modelIds)].map((modelId, i) => [
      `m${i}`,
      new Metric({
        namespace: 'AWS/Bedrock',
        metricName: 'InvocationThrottles',
        dimensionsMap: { ModelId: modelId },
        ...FIVE_MINUTES_SUM,
      }),
    ]),
  );
  return new MathExpression({
    expression: Object.keys(usingMetrics).join(' + '),
    usingMetrics,
    label: 'Bedrock throttles, configured models',
    period: Duration.minutes(5),
  });
}

/**
 * Alarms that mean "a user is not being answered", all notifying one KMS-encrypted SNS topic
 * (optionally subscribed by email) when they go into ALARM (no OK notifications): anything in the
 * DLQ, a queue that stops draining, Lambda errors and throttles, API 5xx, consumer (agent) runs
 * nearing their timeout. The consumer reports failed updates as handled (it retries and
 * dead-letters them itself), so its Errors metric stays quiet: the product's own counters carry
 * that signal (updates failed for good or dead-lettered, model throttling), plus bursts of
 * unauthorized webhook calls and people repeatedly hitting the per-request token budget.
 */
export class Alarms extends Construct {
  readonly topic: Topic;
  readonly alarms: Alarm[] = [];
  /** Consumer p99 duration near its timeout: agent runs about to be cut off. */
  readonly consumerNearTimeout: Alarm;
  /** Agent turns stopped at AGENT_MAX_TOKENS_PER_REQUEST, BUDGET_STOPS_PER_HOUR or more in an hour. */
  readonly agentStoppedAtBudget: Alarm;
  /** Updates the consumer gave up on: failed for good, or moved to the DLQ. */
  readonly failedUpdates: Alarm[];

  constructor(scope: Construct, id: string, props: AlarmsProps) {
    super(scope, id);
    this.topic = new Topic(this, 'Topic', {
      displayName: 'Codegen orchestrator alarms',
      masterKey: props.key,
      enforceSSL: true,
    });
    // enforceSSL gives the topic a policy, which replaces SNS's default one (the owner account may
    // publish): without this statement CloudWatch could not deliver a single alarm.
    this.topic.addToResourcePolicy(
      new PolicyStatement({
        sid: 'AllowCloudWatchAlarmsOfThisAccount',
        principals: [new ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['sns:Publish'],
        resources: [this.topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: {
            'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*`,
          },
        },
      }),
    );
    if (props.alarmEmail) this.topic.addSubscription(new EmailSubscription(props.alarmEmail));

    const sum = { ...ONE_MINUTE, statistic: Stats.SUM };
    const nearTimeout = Duration.seconds(props.consumerTimeout.toSeconds() * NEAR_TIMEOUT_RATIO);
    const specs: AlarmSpec[] = [
      {
        id: 'DeadLetters',
        description:
          'Updates wait in the DLQ (the consumer gave up on them, or they were received 50 times): inspect, fix, redrive.',
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
      {
        id: 'WebhookUnauthorized',
        description: `${UNAUTHORIZED_PER_5_MIN} or more webhook calls without the right secret token in 5 minutes: someone is probing the URL, or Telegram has an old secret_token (run register-webhook again after rotating the webhook secret).`,
        metric: productMetric('WebhookUnauthorized', props.webhookServiceName, FIVE_MINUTES_SUM),
        threshold: UNAUTHORIZED_PER_5_MIN,
        comparison: AT_LEAST,
      },
      {
        id: 'ModelThrottled',
        description: `Bedrock throttled ${MODEL_THROTTLES_PER_5_MIN} or more model calls in 5 minutes: answers are slow or fail. Raise the account's Bedrock quotas (tokens and requests per minute) for the configured models, or lower consumerMaxConcurrency.`,
        metric: productMetric('ModelThrottled', props.consumerServiceName, FIVE_MINUTES_SUM),
        threshold: MODEL_THROTTLES_PER_5_MIN,
        comparison: AT_LEAST,
      },
      {
        id: 'BedrockInvocationThrottles',
        description: `Bedrock's own count: ${MODEL_THROTTLES_PER_5_MIN} or more throttled invocations of the configured models in 5 minutes (retries included). Raise the account's Bedrock quotas for them, or lower consumerMaxConcurrency.`,
        metric: bedrockThrottles(props.bedrockModelIds),
        threshold: MODEL_THROTTLES_PER_5_MIN,
        comparison: AT_LEAST,
      },
      {
        id: 'UpdateFailedPermanently',
        description:
          'The consumer gave up on an update that no retry can fix: someone got no answer. Its logs name the updateId and the cause.',
        metric: productMetric('UpdateFailedPermanently', props.consumerServiceName, FIVE_MINUTES_SUM),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: 'UpdateDeadLettered',
        description:
          'The consumer moved an update to the DLQ after its last retry: someone got no answer. Fix the cause, then redrive the DLQ.',
        metric: productMetric('UpdateDeadLettered', props.consumerServiceName, FIVE_MINUTES_SUM),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: 'EngineeringExecutionsFailed',
        description:
          "An engineering pipeline run failed (a step errored after its retries, or the run hit a Catch): the owner was told, but no repository passed its tests. The execution's history names the failed state and cause.",
        metric: props.engineeringStateMachine.metricFailed(FIVE_MINUTES_SUM),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: 'EngineeringExecutionsTimedOut',
        description:
          'An engineering pipeline run hit its 48-hour limit: nobody was told by the pipeline itself. Check for workers that never reported and tasks still running in the worker cluster.',
        metric: props.engineeringStateMachine.metricTimedOut(FIVE_MINUTES_SUM),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: 'DevopsExecutionsFailed',
        description:
          "A deploy failed (a step errored after its retries, a secret never came, or the release was rolled back): the owner was told. The execution's history names the failed state; the deployer's own log is in the deployer log group under deployer/worker/<task id>.",
        metric: props.devops.stateMachine.metricFailed(FIVE_MINUTES_SUM),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: 'DevopsExecutionsTimedOut',
        description:
          'A deploy hit its 48-hour limit: nobody was told by the pipeline itself. Check for deployer tasks still running in the worker cluster and for a server that stopped answering SSH.',
        metric: props.devops.stateMachine.metricTimedOut(FIVE_MINUTES_SUM),
        threshold: 1,
        comparison: AT_LEAST,
      },
      {
        id: 'DevopsDeployRolledBack',
        description:
          "A new release failed its checks and the previous release was restored (the run ended in the 'Rolled back' state): the service still answers, on the old version. Read the run's 'Check the health' or 'Deploy the release' state for the cause.",
        metric: props.devops.rolledBack,
        threshold: 1,
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
      // ALARM only: an OK email per recovery doubles the mail and trains people to ignore it.
      alarm.addAlarmAction(action);
      this.alarms.push(alarm);
    }
    this.consumerNearTimeout = this.node.findChild('ConsumerNearTimeout') as Alarm;
    this.agentStoppedAtBudget = this.node.findChild('AgentStoppedAtBudget') as Alarm;
    this.failedUpdates = ['UpdateFailedPermanently', 'UpdateDeadLettered'].map(
      (id) => this.node.findChild(id) as Alarm,
    );
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
