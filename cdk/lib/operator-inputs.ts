import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

/**
 * What an operator sets when installing, as CDK context (`cdk deploy -c key=value`, or the
 * `context` block of cdk.json / cdk.context.json). Every input has a safe default so CI can synth
 * with none of them:
 *
 * - `adminTelegramIds`  comma-separated numeric Telegram user ids (`-c adminTelegramIds=123,456`).
 *                       Default: empty, which admits nobody.
 * - `botUsername`       the bot's username without `@`. Default: `codegen_orchestrator_bot`.
 * - `alarmEmail`        optional address subscribed to the alarm topic (confirm the email AWS sends).
 * - `bedrockIntentModelId`  Bedrock model or cross-Region inference profile id that reads intents
 *                       (cheap, fast). Default: `us.amazon.nova-lite-v1:0`.
 * - `bedrockAgentModelId`   the one the Product Owner agent reasons with. Default:
 *                       `us.anthropic.claude-sonnet-4-20250514-v1:0`. Both become `bedrock:<id>` in
 *                       the consumer's LLM_*_MODEL and scope its bedrock:InvokeModel grant; enable
 *                       access to both models in the Bedrock console of the deploy Region.
 * - `logRetentionDays`  CloudWatch Logs retention, one of the values Logs accepts. Default: 30.
 *
 * Secrets are never context: the stack creates them in Secrets Manager (see BotSecrets).
 */
export interface OperatorInputs {
  adminTelegramIds: string[];
  botUsername: string;
  alarmEmail?: string;
  bedrockIntentModelId: string;
  bedrockAgentModelId: string;
  logRetention: RetentionDays;
}

export const DEFAULT_BOT_USERNAME = 'codegen_orchestrator_bot';
export const DEFAULT_LOG_RETENTION_DAYS = 30;
export const DEFAULT_BEDROCK_INTENT_MODEL_ID = 'us.amazon.nova-lite-v1:0';
export const DEFAULT_BEDROCK_AGENT_MODEL_ID = 'us.anthropic.claude-sonnet-4-20250514-v1:0';

export class OperatorInputError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid CDK context:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'OperatorInputError';
  }
}

const TELEGRAM_ID = /^\d{1,15}$/;
const BOT_USERNAME = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** What the Lambdas' `bedrock:<model id>` accepts (lambdas/config/config.ts): ids, not ARNs. */
const MODEL_ID = /^[A-Za-z0-9][\w.:-]{0,199}$/;
const RETENTION_VALUES = new Set(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);

/** Accepts `"1,2"`, `1`, or `[1, "2"]` (cdk.json may hold numbers or arrays). */
function list(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : String(raw).split(',');
  return items.map((item) => String(item).trim()).filter(Boolean);
}

function optionalString(raw: unknown): string | undefined {
  const value = raw === undefined || raw === null ? '' : String(raw).trim();
  return value === '' ? undefined : value;
}

/** Reads and validates the operator inputs; throws OperatorInputError naming every bad value. */
export function readOperatorInputs(node: Pick<Node, 'tryGetContext'>): OperatorInputs {
  const problems: string[] = [];

  const adminTelegramIds = list(node.tryGetContext('adminTelegramIds'));
  for (const id of adminTelegramIds.filter((i) => !TELEGRAM_ID.test(i))) {
    problems.push(`adminTelegramIds: "${id}" is not a numeric Telegram user id`);
  }

  const botUsername = optionalString(node.tryGetContext('botUsername')) ?? DEFAULT_BOT_USERNAME;
  if (!BOT_USERNAME.test(botUsername)) {
    problems.push(`botUsername: "${botUsername}" must be 5-32 letters, digits or _ without @`);
  }

  const alarmEmail = optionalString(node.tryGetContext('alarmEmail'));
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) {
    problems.push(`alarmEmail: "${alarmEmail}" is not an email address`);
  }

  const modelId = (key: string, fallback: string): string => {
    const id = optionalString(node.tryGetContext(key)) ?? fallback;
    if (!MODEL_ID.test(id) || id.startsWith('arn:')) {
      problems.push(`${key}: "${id}" is not a Bedrock model or inference profile id (ARNs are not accepted)`);
    }
    return id;
  };
  const bedrockIntentModelId = modelId('bedrockIntentModelId', DEFAULT_BEDROCK_INTENT_MODEL_ID);
  const bedrockAgentModelId = modelId('bedrockAgentModelId', DEFAULT_BEDROCK_AGENT_MODEL_ID);
  if (list(node.tryGetContext('bedrockModelIds')).length > 0) {
    // Its order never said which model does what: refuse it rather than guess.
    problems.push(
      'bedrockModelIds: replaced by bedrockIntentModelId and bedrockAgentModelId; set those instead',
    );
  }

  const retentionRaw = optionalString(node.tryGetContext('logRetentionDays'));
  const retention = retentionRaw === undefined ? DEFAULT_LOG_RETENTION_DAYS : Number(retentionRaw);
  if (!RETENTION_VALUES.has(retention)) {
    problems.push(
      `logRetentionDays: "${retentionRaw}" must be one of ${[...RETENTION_VALUES].sort((a, b) => a - b).join(', ')}`,
    );
  }

  if (problems.length > 0) throw new OperatorInputError(problems);
  return {
    adminTelegramIds,
    botUsername,
    ...(alarmEmail ? { alarmEmail } : {}),
    bedrockIntentModelId,
    bedrockAgentModelId,
    logRetention: retention as RetentionDays,
  };
}
