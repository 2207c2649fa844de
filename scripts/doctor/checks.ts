/**
 * The checks of `npm run doctor`: is a deployed stack ready to answer people? Each check reads
 * one thing through a small client interface (fakes in tests, AWS SDK clients and fetch in
 * scripts/doctor.ts) and reports one line with the fix when it fails. Nothing here prints a
 * secret: tokens are compared and shape-checked, never echoed.
 */

export type Status = 'ok' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  name: string;
  status: Status;
  detail: string;
  /** What to do about it (absent when status is ok). */
  fix?: string;
}

/** The stack outputs the checks read (cdk/lib/orchestrator-stack.ts). */
export const REQUIRED_OUTPUTS = [
  'WebhookUrl',
  'BotTokenSecretArn',
  'WebhookSecretArn',
  'UpdateQueueUrl',
  'DeadLetterQueueUrl',
  'AlarmTopicArn',
  'BedrockIntentModelId',
  'BedrockAgentModelId',
] as const;

export type StackOutputs = Record<(typeof REQUIRED_OUTPUTS)[number], string>;

export interface WebhookInfo {
  url: string;
  pending_update_count: number;
  last_error_message?: string;
}

export interface Subscription {
  protocol: string;
  endpoint: string;
  /** False while the endpoint has not confirmed (SubscriptionArn `PendingConfirmation`). */
  confirmed: boolean;
}

export interface QueueDepth {
  visible: number;
  inFlight: number;
}

export interface DoctorClients {
  /** Secrets Manager GetSecretValue. */
  secretValue(secretId: string): Promise<string>;
  /** Telegram getWebhookInfo with this bot token. */
  webhookInfo(botToken: string): Promise<WebhookInfo>;
  /** A one-token Bedrock Converse call; throws the SDK's error. */
  converse(modelId: string): Promise<void>;
  /** SNS ListSubscriptionsByTopic; undefined when no SNS client is installed. */
  topicSubscriptions?: (topicArn: string) => Promise<Subscription[]>;
  /** SQS GetQueueAttributes (ApproximateNumberOfMessages, ...NotVisible). */
  queueDepth(queueUrl: string): Promise<QueueDepth>;
}

/** A BotFather token: `<bot id>:<35 characters>` (cdk/lib/constructs/bot-secrets.ts). */
const BOT_TOKEN = /^\d+:[A-Za-z0-9_-]{30,}$/;
/** Telegram's secret_token alphabet. */
const SECRET_TOKEN = /^[A-Za-z0-9_-]{1,256}$/;

/** Where Anthropic's first-use form is, as of the Bedrock console in 2026 (see README). */
export const ANTHROPIC_USE_CASE_FIX =
  "Anthropic models need the account's use case details once: Bedrock console > Model catalog > select the Anthropic model > submit the use case details it asks for on first use (or open it in the playground). Access follows within minutes.";

const message = (error: unknown): string => (error instanceof Error ? error.message : String(error));
const errorName = (error: unknown): string =>
  error instanceof Error ? ((error as { name?: string }).name ?? 'Error') : 'Error';

/** Names the fix for a failed one-token Converse call. */
export function modelFailureFix(modelId: string, region: string, error: unknown): string {
  const name = errorName(error);
  const text = message(error);
  if (/use case/i.test(text) && /AccessDenied|ResourceNotFound/.test(name)) return ANTHROPIC_USE_CASE_FIX;
  if (/ThrottlingException|ServiceQuota/.test(name)) {
    return `Bedrock throttled a one-token call: raise the account's quotas for ${modelId} in ${region} (Service Quotas > Amazon Bedrock).`;
  }
  if (/ValidationException/.test(name) && /model identifier|invalid/i.test(text)) {
    return `${modelId} cannot be called from ${region}: inference profiles work only from Regions of their geography (us. from US Regions, eu. from EU Regions, apac. from Asia Pacific Regions). Set bedrockIntentModelId / bedrockAgentModelId in operator.json and deploy again.`;
  }
  if (/AccessDenied/.test(name)) {
    return `Your credentials may not call ${modelId}, or the model is not available to this account: check bedrock:InvokeModel for your user and the model's page in the Bedrock console model catalog of ${region}.`;
  }
  if (/ResourceNotFound/.test(name)) {
    return `${modelId} does not exist in ${region}: pick a model or inference profile listed in the Bedrock console of ${region}.`;
  }
  return `Unexpected ${name}: retry, then read the error above.`;
}

async function guarded(name: string, run: () => Promise<CheckResult>): Promise<CheckResult> {
  try {
    return await run();
  } catch (error) {
    return {
      name,
      status: 'fail',
      detail: `${errorName(error)}: ${message(error)}`,
      fix: "Check your AWS credentials and Region (the stack's Region, --region), then run the doctor again.",
    };
  }
}

/** Bot token and webhook secret hold real values (not the generated placeholder). */
async function checkSecrets(
  clients: DoctorClients,
  outputs: StackOutputs,
  stack: string,
): Promise<{ results: CheckResult[]; botToken?: string }> {
  const results: CheckResult[] = [];
  let botToken: string | undefined;
  results.push(
    await guarded('bot token secret', async () => {
      const value = await clients.secretValue(outputs.BotTokenSecretArn);
      if (!BOT_TOKEN.test(value)) {
        return {
          name: 'bot token secret',
          status: 'fail',
          detail: 'holds the generated placeholder, not a BotFather token',
          fix: `aws secretsmanager put-secret-value --secret-id ${stack}/telegram/bot-token --secret-string '<token from @BotFather>'`,
        };
      }
      botToken = value;
      return { name: 'bot token secret', status: 'ok', detail: 'holds a BotFather token' };
    }),
  );
  results.push(
    await guarded('webhook secret', async () => {
      const value = await clients.secretValue(outputs.WebhookSecretArn);
      return SECRET_TOKEN.test(value)
        ? { name: 'webhook secret', status: 'ok', detail: 'a valid Telegram secret_token' }
        : {
            name: 'webhook secret',
            status: 'fail',
            detail: "is not 1-256 characters of A-Za-z0-9_- (Telegram's secret_token rule)",
            fix: `Put a new value (e.g. openssl rand -hex 32) into ${stack}/telegram/webhook-secret, then npm run register-webhook -- --stack ${stack}.`,
          };
    }),
  );
  return botToken === undefined ? { results } : { results, botToken };
}

async function checkWebhook(
  clients: DoctorClients,
  outputs: StackOutputs,
  stack: string,
  botToken: string | undefined,
): Promise<CheckResult> {
  const name = 'Telegram webhook';
  if (botToken === undefined) {
    return {
      name,
      status: 'skip',
      detail: 'needs the bot token first',
      fix: 'Put the bot token (see above).',
    };
  }
  return guarded(name, async () => {
    const info = await clients.webhookInfo(botToken);
    const register = `npm run register-webhook -- --stack ${stack}`;
    if (info.url !== outputs.WebhookUrl) {
      return {
        name,
        status: 'fail',
        detail: info.url
          ? `registered at another URL (${info.url}), not this stack's ${outputs.WebhookUrl}`
          : 'no webhook registered: Telegram delivers nothing',
        fix: register,
      };
    }
    if (info.last_error_message) {
      return {
        name,
        status: 'warn',
        detail: `registered at this stack's URL; Telegram's last delivery error: ${info.last_error_message} (${info.pending_update_count} pending)`,
        fix: `401: the webhook secret changed since registering (${register}); 5xx: read the webhook Lambda's logs.`,
      };
    }
    return {
      name,
      status: 'ok',
      detail: `registered at this stack's URL (${info.pending_update_count} pending)`,
    };
  });
}

async function checkModel(clients: DoctorClients, role: string, modelId: string, region: string) {
  const name = `${role} model ${modelId}`;
  try {
    await clients.converse(modelId);
    return { name, status: 'ok', detail: 'answers a one-token Converse call' } satisfies CheckResult;
  } catch (error) {
    return {
      name,
      status: 'fail',
      detail: `${errorName(error)}: ${message(error)}`,
      fix: modelFailureFix(modelId, region, error),
    } satisfies CheckResult;
  }
}

async function checkAlarmTopic(clients: DoctorClients, outputs: StackOutputs): Promise<CheckResult> {
  const name = 'alarm subscription';
  const subscribe = `aws sns subscribe --topic-arn ${outputs.AlarmTopicArn} --protocol email --notification-endpoint <you@example.com>, then confirm the email; or set alarmEmail in operator.json and deploy`;
  if (!clients.topicSubscriptions) {
    return {
      name,
      status: 'skip',
      detail: '@aws-sdk/client-sns is not installed, so the doctor cannot list subscriptions',
      fix: `aws sns list-subscriptions-by-topic --topic-arn ${outputs.AlarmTopicArn} (a confirmed one has a SubscriptionArn, not PendingConfirmation)`,
    };
  }
  const list = clients.topicSubscriptions;
  return guarded(name, async () => {
    const subscriptions = await list(outputs.AlarmTopicArn);
    const confirmed = subscriptions.filter((s) => s.confirmed);
    if (confirmed.length > 0) {
      return {
        name,
        status: 'ok',
        detail: `${confirmed.length} confirmed (${confirmed.map((s) => s.protocol).join(', ')})`,
      };
    }
    const pending = subscriptions.filter((s) => !s.confirmed);
    return {
      name,
      status: 'fail',
      detail:
        pending.length > 0
          ? `${pending.length} subscription(s) not confirmed: alarms reach nobody`
          : 'no subscription: alarms reach nobody',
      fix: pending.length > 0 ? "Click the link in AWS's confirmation email (check spam)." : subscribe,
    };
  });
}

async function checkQueue(
  clients: DoctorClients,
  name: string,
  url: string,
  whenNotEmpty: Omit<CheckResult, 'name' | 'detail'>,
): Promise<CheckResult> {
  return guarded(name, async () => {
    const { visible, inFlight } = await clients.queueDepth(url);
    if (visible + inFlight === 0) return { name, status: 'ok', detail: 'empty' };
    return { name, detail: `${visible} waiting, ${inFlight} in flight`, ...whenNotEmpty };
  });
}

export interface DoctorInput {
  stack: string;
  region: string;
  outputs: StackOutputs;
}

/** Runs every check in the order an operator fixes things; never throws. */
export async function runChecks(clients: DoctorClients, input: DoctorInput): Promise<CheckResult[]> {
  const { stack, region, outputs } = input;
  const secrets = await checkSecrets(clients, outputs, stack);
  const models = [...new Set([outputs.BedrockIntentModelId, outputs.BedrockAgentModelId])];
  return [
    ...secrets.results,
    await checkWebhook(clients, outputs, stack, secrets.botToken),
    ...(await Promise.all(
      models.map((id) =>
        checkModel(
          clients,
          id === outputs.BedrockAgentModelId && id !== outputs.BedrockIntentModelId ? 'agent' : 'intent',
          id,
          region,
        ),
      ),
    )),
    await checkAlarmTopic(clients, outputs),
    await checkQueue(clients, 'update queue', outputs.UpdateQueueUrl, {
      status: 'warn',
      fix: 'Normal while people chat; if it stays, read the consumer logs and the QueueStalled alarm.',
    }),
    await checkQueue(clients, 'dead-letter queue', outputs.DeadLetterQueueUrl, {
      status: 'fail',
      fix: "Updates someone got no answer to: read the consumer's logs for their updateId, fix the cause, then redrive the DLQ (SQS console > Start DLQ redrive).",
    }),
  ];
}

/** Reads the outputs the checks need; names every one that is missing. */
export function requireOutputs(stack: string, outputs: Record<string, string | undefined>): StackOutputs {
  const missing = REQUIRED_OUTPUTS.filter((key) => !outputs[key]);
  if (missing.length > 0) {
    throw new Error(
      `Stack ${stack} has no output ${missing.join(', ')}: deploy this version of the stack first (npx cdk deploy).`,
    );
  }
  return outputs as StackOutputs;
}

const MARKS: Record<Status, string> = { ok: 'ok  ', warn: 'WARN', fail: 'FAIL', skip: 'skip' };

/** One line per check: status, name, what was found and, if not ok, the fix. */
export function formatResult(result: CheckResult): string {
  const line = `[${MARKS[result.status]}] ${result.name}: ${result.detail}`;
  return result.fix && result.status !== 'ok' ? `${line}\n       fix: ${result.fix}` : line;
}
