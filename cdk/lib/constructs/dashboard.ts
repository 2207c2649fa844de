import { Duration } from 'aws-cdk-lib';
import {
  AlarmWidget,
  Dashboard,
  GraphWidget,
  type IAlarm,
  type IMetric,
  Metric,
  Stats,
  TextWidget,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import type { IQueue } from 'aws-cdk-lib/aws-sqs';
import type { IStateMachine } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';
import { METRICS_NAMESPACE, type MetricName } from '../../../lambdas/ports/telemetry.ts';
import { productMetric } from './product-metrics.ts';

export interface OperationsDashboardProps {
  dashboardName: string;
  webhook: IFunction;
  consumer: IFunction;
  queue: IQueue;
  deadLetterQueue: IQueue;
  /** Consumer p99 duration against its near-timeout threshold. */
  consumerNearTimeout: IAlarm;
  /** Bedrock model (or inference profile) ids the consumer calls, for the token chart. */
  bedrockModelIds: string[];
  /** Service names the Lambdas publish their own metrics under (the `service` dimension). */
  serviceNames: { webhook: string; consumer: string };
  /** The engineering pipeline's state machine and the cluster its workers run in. */
  engineering: { stateMachine: IStateMachine; clusterName: string };
  /** The devops pipeline: its runs, the rolled-back count, and its step Lambdas. */
  devops: { stateMachine: IStateMachine; rolledBack: IMetric; steps: Record<string, IFunction> };
}

const PERIOD = { period: Duration.minutes(1) };
/** The product's own counters are sparse (one per turn, call, update): 5-minute sums read better. */
const PRODUCT_PERIOD = { period: Duration.minutes(5), statistic: Stats.SUM };

function graph(title: string, left: IMetric[], period?: Duration): GraphWidget {
  return new GraphWidget({ title, left, width: 8, height: 6, ...(period ? { period } : {}) });
}

/** Bedrock's own runtime metric for one model id (inference profiles report under their id). */
function bedrockMetric(metricName: string, modelId: string, label: string): Metric {
  return new Metric({
    namespace: 'AWS/Bedrock',
    metricName,
    dimensionsMap: { ModelId: modelId },
    ...PERIOD,
    statistic: Stats.SUM,
    label,
  });
}

/**
 * One screen for the path of an update (webhook, queue, consumer, dead letters), how close agent
 * runs come to the consumer's timeout, and the tokens the models consume (cost per person and
 * project is in the usage table: /usage in the chat). Below, the product's own counters
 * (lambdas/ports/telemetry.ts): what the Product Owner agent does and what the front door lets in.
 */
export class OperationsDashboard extends Construct {
  readonly dashboard: Dashboard;

  constructor(scope: Construct, id: string, props: OperationsDashboardProps) {
    super(scope, id);
    const { webhook, consumer, queue, deadLetterQueue } = props;
    const modelIds = [...new Set(props.bedrockModelIds)];
    const sum = { ...PERIOD, statistic: Stats.SUM };
    const p99 = { ...PERIOD, statistic: Stats.p(99) };
    const max = { ...PERIOD, statistic: Stats.MAXIMUM };
    this.dashboard = new Dashboard(this, 'Dashboard', { dashboardName: props.dashboardName });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: '# Codegen orchestrator\nTelegram → webhook Lambda → SQS FIFO → consumer Lambda',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph('Invocations', [
        webhook.metricInvocations({ ...sum, label: 'webhook' }),
        consumer.metricInvocations({ ...sum, label: 'consumer' }),
      ]),
      graph('Errors', [
        webhook.metricErrors({ ...sum, label: 'webhook' }),
        consumer.metricErrors({ ...sum, label: 'consumer' }),
      ]),
      graph('Duration p99 (ms)', [
        webhook.metricDuration({ ...p99, label: 'webhook' }),
        consumer.metricDuration({ ...p99, label: 'consumer' }),
      ]),
    );
    this.dashboard.addWidgets(
      graph('Queue depth', [
        queue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'visible' }),
        queue.metricApproximateNumberOfMessagesNotVisible({ ...max, label: 'in flight' }),
      ]),
      graph('Oldest queued update (s)', [
        queue.metricApproximateAgeOfOldestMessage({ ...max, label: 'age' }),
      ]),
      graph('Dead letters', [
        deadLetterQueue.metricApproximateNumberOfMessagesVisible({ ...max, label: 'DLQ' }),
      ]),
    );
    this.dashboard.addWidgets(
      new AlarmWidget({
        title: 'Consumer duration p99 vs. near-timeout alarm (ms)',
        alarm: props.consumerNearTimeout,
        width: 8,
        height: 6,
      }),
      graph(
        'Model tokens',
        modelIds.flatMap((id) => [
          bedrockMetric('InputTokenCount', id, `${id} in`),
          bedrockMetric('OutputTokenCount', id, `${id} out`),
        ]),
      ),
      graph(
        'Model throttles and errors',
        modelIds.flatMap((id) => [
          bedrockMetric('InvocationThrottles', id, `${id} throttled`),
          bedrockMetric('InvocationServerErrors', id, `${id} server errors`),
        ]),
      ),
    );
    this.addProductOwnerRow(props.serviceNames);
    this.addEngineeringRow(props.engineering);
    this.addDevopsRow(props.devops);
  }

  /** Deploys by outcome (rolled back among the failed), and the step Lambdas' errors. */
  private addDevopsRow({ stateMachine, rolledBack, steps }: OperationsDashboardProps['devops']): void {
    const runs = PRODUCT_PERIOD;
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '## DevOps pipeline\nDeploys (env analysis → secrets → server and port → deployer on Fargate → health check, rollback on failure)',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Deploys (per 5 min)',
        [
          stateMachine.metricStarted({ ...runs, label: 'started' }),
          stateMachine.metricSucceeded({ ...runs, label: 'live' }),
          stateMachine.metricFailed({ ...runs, label: 'failed (rolled back included)' }),
          stateMachine.metricTimedOut({ ...runs, label: 'timed out' }),
        ],
        runs.period,
      ),
      graph('Rolled back (per 5 min)', [rolledBack], runs.period),
      graph(
        'DevOps step errors (per 5 min)',
        Object.entries(steps).map(([name, fn]) => fn.metricErrors({ ...runs, label: name })),
        runs.period,
      ),
    );
  }

  /** Pipeline runs by outcome, and the Fargate workers running (Container Insights). */
  private addEngineeringRow({ stateMachine, clusterName }: OperationsDashboardProps['engineering']): void {
    const runs = PRODUCT_PERIOD;
    const tasks = (metricName: string, label: string) =>
      new Metric({
        namespace: 'ECS/ContainerInsights',
        metricName,
        dimensionsMap: { ClusterName: clusterName },
        ...PERIOD,
        statistic: Stats.MAXIMUM,
        label,
      });
    this.dashboard.addWidgets(
      new TextWidget({
        markdown:
          '## Engineering pipeline\nStep Functions runs (analyst → architect → coding worker → tester on Fargate) and the workers running',
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      graph(
        'Pipeline runs (per 5 min)',
        [
          stateMachine.metricStarted({ ...runs, label: 'started' }),
          stateMachine.metricSucceeded({ ...runs, label: 'succeeded' }),
          stateMachine.metricFailed({ ...runs, label: 'failed' }),
          stateMachine.metricTimedOut({ ...runs, label: 'timed out' }),
        ],
        runs.period,
      ),
      graph('Fargate worker tasks', [
        tasks('RunningTaskCount', 'running'),
        tasks('PendingTaskCount', 'pending'),
      ]),
    );
  }

  /** The product's own counters: the agent's (consumer) and the front door's (webhook). */
  private addProductOwnerRow(services: OperationsDashboardProps['serviceNames']): void {
    const chart = (title: string, service: string, names: MetricName[]): GraphWidget =>
      graph(
        `${title} (per 5 min)`,
        names.map((name) => productMetric(name, service, { ...PRODUCT_PERIOD, label: name })),
        PRODUCT_PERIOD.period,
      );
    const agent = (title: string, names: MetricName[]) => chart(title, services.consumer, names);
    this.dashboard.addWidgets(
      new TextWidget({
        markdown: `## Product Owner\nThe agent's counters (service \`${services.consumer}\`) and the front door's (\`${services.webhook}\`), namespace \`${METRICS_NAMESPACE}\``,
        width: 24,
        height: 2,
      }),
    );
    this.dashboard.addWidgets(
      agent('Agent turns, model and tool calls', [
        'AgentTurnCompleted',
        'AgentModelCall',
        'AgentToolCall',
        'AgentToolError',
      ]),
      agent('Agent stops and pauses', [
        'AgentStoppedAtIterationCap',
        'AgentStoppedAtBudget',
        'AgentTurnPaused',
        'ConfirmationAsked',
      ]),
      agent('Agent model tokens', ['ModelInputTokens', 'ModelOutputTokens']),
    );
    this.dashboard.addWidgets(
      agent('Secrets stored from chat', ['SecretStoredFromChat']),
      chart('Front door', services.webhook, ['UpdateQueued', 'WebhookUnauthorized', 'WebhookRejected']),
      agent('Updates taken by the consumer', ['UpdateDuplicate', 'StrangerRefused', 'UpdateRetried']),
    );
    this.dashboard.addWidgets(
      agent('Updates given up and model throttling', [
        'UpdateFailedPermanently',
        'UpdateDeadLettered',
        'ModelThrottled',
      ]),
    );
  }
}
