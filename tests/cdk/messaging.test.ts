import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC_NAMES, METRICS_NAMESPACE, type MetricName } from '../../lambdas/ports/telemetry.ts';
import { arnOf, ref, type Synthesized, synthesize } from './support/synth.ts';

/** `arn:<partition>:cloudwatch:<region>:<account>:alarm:*` as the template writes it. */
const CLOUDWATCH_ALARMS_ARN = {
  'Fn::Join': [
    '',
    [
      'arn:',
      { Ref: 'AWS::Partition' },
      ':cloudwatch:',
      { Ref: 'AWS::Region' },
      ':',
      { Ref: 'AWS::AccountId' },
      ':alarm:*',
    ],
  ],
};

let s: Synthesized;
let ids: ReturnType<typeof resourceIds>;

function resourceIds() {
  const { frontDoor, updateQueue, alarms } = s.stack;
  return {
    webhook: s.logicalId(frontDoor.webhook.fn),
    consumer: s.logicalId(updateQueue.consumer.fn),
    nearTimeout: s.logicalId(alarms.consumerNearTimeout),
    budgetStops: s.logicalId(alarms.agentStoppedAtBudget),
    api: s.logicalId(frontDoor.api),
    queue: s.logicalId(updateQueue.queue),
    dlq: s.logicalId(updateQueue.deadLetterQueue),
    topic: s.logicalId(alarms.topic),
    key: s.logicalId(s.stack.node.findChild('Encryption').node.findChild('Key')),
  };
}

interface Widget {
  properties: {
    title?: string;
    markdown?: string;
    period?: number;
    metrics?: [string, string, string, string, { stat?: string }][];
  };
}

/** The dashboard body's widgets, with every CloudFormation token (Ref, GetAtt) read as "TOKEN". */
function dashboardWidgets(body: unknown): Widget[] {
  const [, parts] = (body as { 'Fn::Join': [string, unknown[]] })['Fn::Join'];
  const text = parts.map((part) => (typeof part === 'string' ? part : 'TOKEN')).join('');
  return (JSON.parse(text) as { widgets: Widget[] }).widgets;
}

beforeAll(() => {
  s = synthesize();
  ids = resourceIds();
});

describe('update queue', () => {
  it('is a high-throughput FIFO queue with content deduplication (for Scheduler; senders set ids), redriving to the DLQ only after 50 receives', () => {
    const found = s.template.findResources('AWS::SQS::Queue', {
      Properties: {
        FifoQueue: true,
        ContentBasedDeduplication: true,
        DeduplicationScope: 'messageGroup',
        FifoThroughputLimit: 'perMessageGroupId',
        // 6 x the consumer's 300 s timeout, AWS's guidance for SQS event sources.
        VisibilityTimeout: 1800,
        KmsMasterKeyId: arnOf(ids.key),
        // A backstop for a consumer that crashes outright: it retries and dead-letters by itself,
        // and busy or paused conversations bounce messages back, which count as receives.
        RedrivePolicy: { deadLetterTargetArn: arnOf(ids.dlq), maxReceiveCount: 50 },
      },
    });
    expect(Object.keys(found)).toEqual([ids.queue]);
  });

  it('has a FIFO, KMS-encrypted DLQ that keeps messages 14 days', () => {
    const found = s.template.findResources('AWS::SQS::Queue', {
      Properties: { FifoQueue: true, MessageRetentionPeriod: 1_209_600, KmsMasterKeyId: arnOf(ids.key) },
    });
    expect(Object.keys(found)).toEqual([ids.dlq]);
  });

  it.each(['queue', 'dlq'] as const)('%s denies requests without TLS', (name) => {
    s.template.hasResourceProperties('AWS::SQS::QueuePolicy', {
      Queues: [ref(ids[name])],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Effect: 'Deny',
            Action: 'sqs:*',
            Condition: { Bool: { 'aws:SecureTransport': 'false' } },
          }),
        ]),
      },
    });
  });
});

describe('Telegram front door', () => {
  it('routes POST /telegram/webhook to the webhook Lambda (proxy, payload 2.0)', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
      ApiId: ref(ids.api),
      RouteKey: 'POST /telegram/webhook',
    });
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Integration', {
      ApiId: ref(ids.api),
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: arnOf(ids.webhook),
    });
    // One route on the webhook's API (the admin API is an API of its own).
    expect(
      Object.keys(
        s.template.findResources('AWS::ApiGatewayV2::Route', { Properties: { ApiId: ref(ids.api) } }),
      ),
    ).toHaveLength(1);
  });

  it('throttles the stage and writes access logs without headers', () => {
    s.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      ApiId: ref(ids.api),
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingBurstLimit: 100, ThrottlingRateLimit: 50 },
      AccessLogSettings: {
        DestinationArn: Match.anyValue(),
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
    const stage = Object.values(
      s.template.findResources('AWS::ApiGatewayV2::Stage', { Properties: { ApiId: ref(ids.api) } }),
    )[0];
    expect(stage?.Properties.AccessLogSettings.Format).not.toMatch(/header|body/i);
  });

  it('outputs the webhook URL and how to set the bot token', () => {
    s.template.hasOutput('WebhookUrl', {
      Value: { 'Fn::Join': ['', Match.arrayWith([Match.stringLikeRegexp('telegram/webhook$')])] },
    });
    s.template.hasOutput('BotTokenSecretArn', {
      Value: Match.objectLike({ Ref: Match.anyValue() }),
      Description: Match.stringLikeRegexp('aws secretsmanager put-secret-value'),
    });
    s.template.hasOutput('DeadLetterQueueUrl', { Value: ref(ids.dlq) });
    s.template.hasOutput('DashboardName', { Value: Match.anyValue() });
  });

  it('outputs what `npm run doctor` checks: the queue, the alarm topic and the two model ids', () => {
    s.template.hasOutput('UpdateQueueUrl', { Value: ref(ids.queue) });
    s.template.hasOutput('AlarmTopicArn', { Value: ref(ids.topic) });
    s.template.hasOutput('BedrockIntentModelId', { Value: 'eu.amazon.nova-lite-v1:0' });
    s.template.hasOutput('BedrockAgentModelId', { Value: 'eu.anthropic.claude-sonnet-4-20250514-v1:0' });
  });
});

describe('alarms', () => {
  it('alarms on any message in the DLQ and notifies the topic', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/SQS',
      MetricName: 'ApproximateNumberOfMessagesVisible',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.dlq, 'QueueName'] } }],
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [ref(ids.topic)],
    });
  });

  it('alarms when the oldest queued update is older than 300 s', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'ApproximateAgeOfOldestMessage',
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [ids.queue, 'QueueName'] } }],
      Threshold: 300,
      ComparisonOperator: 'GreaterThanThreshold',
      AlarmActions: [ref(ids.topic)],
    });
  });

  it.each(['Errors', 'Throttles'])('alarms on webhook Lambda %s', (metric) => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: metric,
      Dimensions: [{ Name: 'FunctionName', Value: ref(ids.webhook) }],
      Threshold: 1,
      AlarmActions: [ref(ids.topic)],
    });
  });

  it('alarms when the consumer p99 duration passes 240 s of its 300 s timeout', () => {
    const found = s.template.findResources('AWS::CloudWatch::Alarm', {
      Properties: {
        Namespace: 'AWS/Lambda',
        MetricName: 'Duration',
        Dimensions: [{ Name: 'FunctionName', Value: ref(ids.consumer) }],
        ExtendedStatistic: 'p99',
        Period: 60,
        Threshold: 240_000,
        ComparisonOperator: 'GreaterThanThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(ids.topic)],
      },
    });
    expect(Object.keys(found)).toEqual([ids.nearTimeout]);
    const timeout = s.template.toJSON().Resources[ids.consumer].Properties.Timeout;
    expect(240).toBeLessThan(timeout);
  });

  it('alarms when agent turns stop at the token budget 5 or more times in an hour', () => {
    const found = s.template.findResources('AWS::CloudWatch::Alarm', {
      Properties: {
        Namespace: METRICS_NAMESPACE,
        MetricName: 'AgentStoppedAtBudget',
        Dimensions: [{ Name: 'service', Value: 'queue-consumer' }],
        Statistic: 'Sum',
        Period: 3600,
        EvaluationPeriods: 1,
        Threshold: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(ids.topic)],
        AlarmDescription: Match.stringLikeRegexp('AGENT_MAX_TOKENS_PER_REQUEST'),
      },
    });
    expect(Object.keys(found)).toEqual([ids.budgetStops]);
  });

  it('alarms on API 5xx', () => {
    s.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/ApiGateway',
      MetricName: '5xx',
      Dimensions: [{ Name: 'ApiId', Value: ref(ids.api) }],
      AlarmActions: [ref(ids.topic)],
    });
  });

  it('publishes to a KMS-encrypted topic the operator email subscribes to', () => {
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(ids.key) });
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'email',
      Endpoint: 'ops@example.com',
      TopicArn: ref(ids.topic),
    });
  });

  it("alarms on Bedrock's own InvocationThrottles of both configured models, 5 or more in 5 minutes", () => {
    const found = s.template.findResources('AWS::CloudWatch::Alarm', {
      Properties: {
        Threshold: 5,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        AlarmActions: [ref(ids.topic)],
        Metrics: Match.arrayWith([Match.objectLike({ Expression: 'm0 + m1' })]),
      },
    });
    const [alarm] = Object.values(found);
    expect(Object.keys(found)).toHaveLength(1);
    const stats = alarm?.Properties.Metrics.filter((m: { MetricStat?: unknown }) => m.MetricStat);
    expect(
      stats.map(
        (m: { MetricStat: { Metric: { Namespace: string; MetricName: string; Dimensions: unknown[] } } }) => [
          m.MetricStat.Metric.Namespace,
          m.MetricStat.Metric.MetricName,
          m.MetricStat.Metric.Dimensions,
        ],
      ),
    ).toEqual(
      ['eu.amazon.nova-lite-v1:0', 'eu.anthropic.claude-sonnet-4-20250514-v1:0'].map((id) => [
        'AWS/Bedrock',
        'InvocationThrottles',
        [{ Name: 'ModelId', Value: id }],
      ]),
    );
  });

  it('notifies on ALARM only: no alarm sends OK notifications', () => {
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(10);
    for (const alarm of alarms) {
      expect(alarm.Properties.AlarmActions).toEqual([ref(ids.topic)]);
      expect(alarm.Properties).not.toHaveProperty('OKActions');
    }
  });

  it("lets CloudWatch alarms of this account and Region publish to the topic, whose policy replaces SNS's default", () => {
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(ids.topic)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          {
            Sid: 'AllowCloudWatchAlarmsOfThisAccount',
            Effect: 'Allow',
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: 'sns:Publish',
            Resource: ref(ids.topic),
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': CLOUDWATCH_ALARMS_ARN },
            },
          },
        ]),
      },
    });
  });

  it("lets CloudWatch use the key for the encrypted topic, for this account's alarms only", () => {
    s.template.hasResourceProperties('AWS::KMS::Key', {
      EnableKeyRotation: true,
      KeyPolicy: {
        Statement: Match.arrayWith([
          Match.objectLike({
            Principal: { Service: 'cloudwatch.amazonaws.com' },
            Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
            Condition: {
              StringEquals: { 'aws:SourceAccount': { Ref: 'AWS::AccountId' } },
              ArnLike: { 'aws:SourceArn': CLOUDWATCH_ALARMS_ARN },
            },
          }),
        ]),
      },
    });
    // Besides CDK's default account statement, every statement is conditioned: CloudWatch on the
    // source account and alarm ARN, every other use of the key on the service it goes through.
    const [key] = Object.values(s.template.findResources('AWS::KMS::Key'));
    const statements = key?.Properties.KeyPolicy.Statement as {
      Action: string | string[];
      Condition?: Record<string, Record<string, unknown>>;
    }[];
    const unconditioned = statements.filter((st) => !st.Condition);
    expect(unconditioned.map((st) => st.Action)).toEqual(['kms:*']);
    for (const st of statements.filter((x) => x.Condition)) {
      const via = st.Condition?.StringEquals?.['kms:ViaService'];
      const source = st.Condition?.StringEquals?.['aws:SourceAccount'];
      // CloudWatch Logs (the engineering pipeline's log groups): this account's log groups only.
      const logGroups = st.Condition?.ArnLike?.['kms:EncryptionContext:aws:logs:arn'];
      expect(via ?? source ?? logGroups, JSON.stringify(st)).toBeDefined();
      if (via) expect(via).toMatch(/^(secretsmanager|sqs)\.eu-west-1\.amazonaws\.com$/);
    }
  });

  it.each([
    ['WebhookUnauthorized', 'telegram-webhook', 20],
    ['ModelThrottled', 'queue-consumer', 5],
    ['UpdateFailedPermanently', 'queue-consumer', 1],
    ['UpdateDeadLettered', 'queue-consumer', 1],
  ])('alarms when %s (service %s) sums to %i or more in 5 minutes', (metric, service, threshold) => {
    const found = s.template.findResources('AWS::CloudWatch::Alarm', {
      Properties: {
        Namespace: METRICS_NAMESPACE,
        MetricName: metric,
        Dimensions: [{ Name: 'service', Value: service }],
        Statistic: 'Sum',
        Period: 300,
        EvaluationPeriods: 1,
        Threshold: threshold,
        ComparisonOperator: 'GreaterThanOrEqualToThreshold',
        TreatMissingData: 'notBreaching',
        AlarmActions: [ref(ids.topic)],
      },
    });
    expect(Object.keys(found)).toHaveLength(1);
  });
});

describe('dashboard', () => {
  it('charts the update path: Lambda invocations, errors, durations, queue depth and age, DLQ', () => {
    const [dashboard] = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    for (const metric of [
      'Invocations',
      'Errors',
      'Duration',
      'ApproximateNumberOfMessagesVisible',
      'ApproximateAgeOfOldestMessage',
    ]) {
      expect(body).toContain(`\\"${metric}\\"`);
    }
    expect(body).toContain(`"${ids.dlq}"`);
    expect(dashboard?.Properties.DashboardName).toBe('CodegenOrchestrator-operations');
  });

  it('shows the consumer near-timeout alarm and the tokens each Bedrock model consumes', () => {
    const [dashboard] = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    // The alarm widget names the alarm by ARN.
    expect(body).toContain(`"${ids.nearTimeout}","Arn"`);
    for (const modelId of ['eu.amazon.nova-lite-v1:0', 'eu.anthropic.claude-sonnet-4-20250514-v1:0']) {
      for (const metric of ['InputTokenCount', 'OutputTokenCount', 'InvocationThrottles']) {
        expect(body).toContain(`[\\"AWS/Bedrock\\",\\"${metric}\\",\\"ModelId\\",\\"${modelId}\\"`);
      }
    }
  });

  it('charts every product metric (Sum, 5 min) under the service that publishes it', () => {
    const [dashboard] = Object.values(s.template.findResources('AWS::CloudWatch::Dashboard'));
    const body = JSON.stringify(dashboard?.Properties.DashboardBody);
    expect(body).toContain(METRICS_NAMESPACE);
    const widgets = dashboardWidgets(dashboard?.Properties.DashboardBody);
    expect(widgets.some((w) => w.properties.markdown?.startsWith('## Product Owner'))).toBe(true);
    const product = widgets.filter((w) => w.properties.metrics?.some(([ns]) => ns === METRICS_NAMESPACE));
    const charted = (title: string) => {
      const widget = product.find((w) => w.properties.title?.startsWith(title));
      expect(widget, title).toBeDefined();
      expect(widget?.properties.period, title).toBe(300);
      return widget?.properties.metrics?.map(([ns, name, dimension, service, options]) => {
        expect([ns, dimension, options.stat]).toEqual([METRICS_NAMESPACE, 'service', 'Sum']);
        return `${service}/${name}`;
      });
    };
    const consumer = (...names: MetricName[]) => names.map((n) => `queue-consumer/${n}`);
    expect(charted('Agent turns')).toEqual(
      consumer('AgentTurnCompleted', 'AgentModelCall', 'AgentToolCall', 'AgentToolError'),
    );
    expect(charted('Agent stops')).toEqual(
      consumer('AgentStoppedAtIterationCap', 'AgentStoppedAtBudget', 'AgentTurnPaused', 'ConfirmationAsked'),
    );
    expect(charted('Agent model tokens')).toEqual(consumer('ModelInputTokens', 'ModelOutputTokens'));
    expect(charted('Secrets stored')).toEqual(consumer('SecretStoredFromChat'));
    const frontDoor: MetricName[] = ['UpdateQueued', 'WebhookUnauthorized', 'WebhookRejected'];
    expect(charted('Front door')).toEqual(frontDoor.map((n) => `telegram-webhook/${n}`));
    expect(charted('Updates taken')).toEqual(consumer('UpdateDuplicate', 'StrangerRefused', 'UpdateRetried'));
    expect(charted('Updates given up')).toEqual(
      consumer('UpdateFailedPermanently', 'UpdateDeadLettered', 'ModelThrottled'),
    );
    // Every metric the Lambdas count is on the dashboard, and only those (beside the devops
    // rolled-back count, a log metric filter with no service: devops-pipeline.test.ts).
    expect(product.filter((w) => !w.properties.title?.startsWith('Rolled back'))).toHaveLength(7);
    for (const name of METRIC_NAMES) {
      expect(body, name).toContain(`\\"${name}\\"`);
    }
  });
});
