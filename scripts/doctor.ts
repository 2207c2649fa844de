/**
 * `npm run doctor -- --stack <name> [--region <region>]`: after a deploy, checks that the stack
 * can answer people and prints one line per check with its fix: secrets set (not the
 * placeholder), webhook registered with Telegram at this stack's URL, each configured model
 * answers a one-token Converse call, the alarm topic has a confirmed subscription, queue and
 * dead-letter queue are empty. Exits 1 if a check fails.
 *
 * Uses the operator's AWS credentials (CloudFormation DescribeStacks, Secrets Manager
 * GetSecretValue, Bedrock Converse, SQS GetQueueAttributes, SNS ListSubscriptionsByTopic) and
 * api.telegram.org. The checks themselves are in scripts/doctor/checks.ts.
 */
import { parseArgs } from 'node:util';
import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { CloudFormationClient, DescribeStacksCommand } from '@aws-sdk/client-cloudformation';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { ListSubscriptionsByTopicCommand, SNSClient } from '@aws-sdk/client-sns';
import { GetQueueAttributesCommand, SQSClient } from '@aws-sdk/client-sqs';
import {
  type DoctorClients,
  formatResult,
  requireOutputs,
  runChecks,
  type Subscription,
  type WebhookInfo,
} from './doctor/checks.ts';
import { operatorTarget } from './operator-target.ts';

const { values } = parseArgs({
  options: {
    stack: { type: 'string' },
    region: { type: 'string' },
    'operator-file': { type: 'string' },
  },
});

/** Every subscription of the topic, across pages; a confirmed one has an ARN, not PendingConfirmation. */
function snsSubscriptions(region: string): NonNullable<DoctorClients['topicSubscriptions']> {
  const client = new SNSClient({ region });
  return async (topicArn) => {
    const found: Subscription[] = [];
    let next: string | undefined;
    do {
      const page = await client.send(
        new ListSubscriptionsByTopicCommand({ TopicArn: topicArn, ...(next ? { NextToken: next } : {}) }),
      );
      for (const s of page.Subscriptions ?? []) {
        found.push({
          protocol: s.Protocol ?? '?',
          endpoint: s.Endpoint ?? '?',
          confirmed: Boolean(s.SubscriptionArn?.startsWith('arn:')),
        });
      }
      next = page.NextToken;
    } while (next);
    return found;
  };
}

async function main(): Promise<void> {
  const { stack, region } = operatorTarget({
    stack: values.stack,
    region: values.region,
    operatorFile: values['operator-file'],
  });
  const cfn = new CloudFormationClient({ region });
  const described = (await cfn.send(new DescribeStacksCommand({ StackName: stack }))).Stacks?.[0];
  const outputs = requireOutputs(
    stack,
    Object.fromEntries((described?.Outputs ?? []).map((o) => [o.OutputKey ?? '', o.OutputValue])),
  );
  const secrets = new SecretsManagerClient({ region });
  const bedrock = new BedrockRuntimeClient({ region });
  const sqs = new SQSClient({ region });
  const topicSubscriptions = snsSubscriptions(region);
  const clients: DoctorClients = {
    secretValue: async (secretId) =>
      (await secrets.send(new GetSecretValueCommand({ SecretId: secretId }))).SecretString ?? '',
    webhookInfo: async (botToken) => {
      const response = await fetch(`https://api.telegram.org/bot${botToken}/getWebhookInfo`);
      const body = (await response.json()) as { ok: boolean; description?: string; result?: WebhookInfo };
      if (!body.ok || !body.result) throw new Error(`Telegram: ${body.description ?? response.status}`);
      return body.result;
    },
    converse: async (modelId) => {
      await bedrock.send(
        new ConverseCommand({
          modelId,
          messages: [{ role: 'user', content: [{ text: 'Reply with OK.' }] }],
          inferenceConfig: { maxTokens: 1 },
        }),
      );
    },
    topicSubscriptions,
    queueDepth: async (queueUrl) => {
      const { Attributes = {} } = await sqs.send(
        new GetQueueAttributesCommand({
          QueueUrl: queueUrl,
          AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
        }),
      );
      return {
        visible: Number(Attributes.ApproximateNumberOfMessages ?? 0),
        inFlight: Number(Attributes.ApproximateNumberOfMessagesNotVisible ?? 0),
      };
    },
  };
  console.log(`Doctor: stack ${stack} in ${region}`);
  const results = await runChecks(clients, { stack, region, outputs });
  for (const result of results) console.log(formatResult(result));
  if (results.some((r) => r.status === 'fail')) process.exitCode = 1;
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
