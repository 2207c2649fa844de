import { existsSync, readFileSync } from 'node:fs';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DEFAULT_USER_MONTHLY_BUDGET_USD } from '../../lambdas/config/config.ts';
import {
  defaultProfileGeography,
  profileRegionMismatch,
  REGION_NAME,
} from './constructs/bedrock-model-arns.ts';

/**
 * What an operator sets when installing. Inputs live in an operator file (`operator.json` at the
 * repository root by default, `-c operatorFile=<path>` for another: one file per stack), so the
 * next `cdk deploy` finds them again; CDK context (`-c key=value`, or the `context` block of
 * cdk.json) overrides the file key by key. Required:
 *
 * - `region`            the AWS Region to deploy to (`eu-west-1`). The stack is bound to it, so the
 *                       default model ids can be the inference profiles of its geography.
 * - `adminTelegramIds`  numeric Telegram user ids (`[123, 456]` or `"123,456"`); at least one.
 *
 * Optional:
 *
 * - `stackName`         CloudFormation stack name. Default `CodegenOrchestrator`. Secret names
 *                       and the dashboard carry it, so two stacks can share an account.
 * - `botUsername`       the bot's username without `@`. Default: `codegen_orchestrator_bot`.
 * - `alarmEmail`        address subscribed to the alarm topic (confirm the email AWS sends).
 * - `bedrockIntentModelId`  Bedrock model or cross-Region inference profile id that reads intents
 *                       (cheap, fast). Default: `<geo>.amazon.nova-lite-v1:0`.
 * - `bedrockAgentModelId`   the one the Product Owner agent reasons with. Default:
 *                       `<geo>.anthropic.claude-sonnet-4-20250514-v1:0`. `<geo>` is `us`, `eu` or
 *                       `apac` after the Region; other Regions must name their models.
 * - `modelPrices`       `{ "<model id>": { "inputPerMTok": 3, "outputPerMTok": 15 } }` in USD per
 *                       million tokens (optionally `cacheReadPerMTok`, `cacheWritePerMTok`),
 *                       overriding the built-in prices (the consumer's LLM_PRICES).
 * - `userMonthlyBudgetUsd`  default monthly spending limit per user in USD (USER_MONTHLY_BUDGET_USD).
 * - `consumerMaxConcurrency`  most consumer Lambdas the queue runs at once (2-1000). Default 20.
 * - `logRetentionDays`  CloudWatch Logs retention, one of the values Logs accepts. Default: 30.
 * - `githubOrg`, `githubAppId`, `githubInstallationId`  the GitHub App the engineering pipeline
 *                       creates and pushes project repositories with: the organisation's login,
 *                       the App's numeric id and its numeric installation id in that organisation.
 *                       All three or none: without them the pipeline is deployed but its
 *                       repository steps run with no git host (GIT_HOST_DRIVER=none) and fail, and
 *                       synth warns. The App's private key is a secret the stack creates
 *                       (`<stackName>/github/app-private-key`), never an input.
 *
 * Secrets are never inputs: the stack creates them in Secrets Manager (see BotSecrets).
 */
export interface OperatorInputs {
  stackName: string;
  region: string;
  adminTelegramIds: string[];
  botUsername: string;
  alarmEmail?: string;
  bedrockIntentModelId: string;
  bedrockAgentModelId: string;
  modelPrices: Record<string, ModelPriceInput>;
  userMonthlyBudgetUsd: number;
  consumerMaxConcurrency: number;
  logRetention: RetentionDays;
  /** The GitHub App of the engineering pipeline; absent when the operator has not set one up. */
  github?: GitHubAppInputs;
}

export interface GitHubAppInputs {
  /** Organisation login the repositories are created in. */
  org: string;
  appId: string;
  installationId: string;
}

export interface ModelPriceInput {
  inputPerMTok: number;
  outputPerMTok: number;
  cacheReadPerMTok?: number;
  cacheWritePerMTok?: number;
}

export const DEFAULT_STACK_NAME = 'CodegenOrchestrator';
export const DEFAULT_OPERATOR_FILE = 'operator.json';
export const DEFAULT_BOT_USERNAME = 'codegen_orchestrator_bot';
export const DEFAULT_LOG_RETENTION_DAYS = 30;
export const DEFAULT_CONSUMER_MAX_CONCURRENCY = 20;
/** Foundation models of the defaults; the profile's geography prefix comes from the Region. */
export const DEFAULT_MODELS = {
  intent: 'amazon.nova-lite-v1:0',
  agent: 'anthropic.claude-sonnet-4-20250514-v1:0',
} as const;

/** Every key an operator file or context may set (others in the file are refused as typos). */
export const OPERATOR_INPUT_KEYS = [
  'stackName',
  'region',
  'adminTelegramIds',
  'botUsername',
  'alarmEmail',
  'bedrockIntentModelId',
  'bedrockAgentModelId',
  'modelPrices',
  'userMonthlyBudgetUsd',
  'consumerMaxConcurrency',
  'logRetentionDays',
  'githubOrg',
  'githubAppId',
  'githubInstallationId',
] as const;

export class OperatorInputError extends Error {
  constructor(readonly problems: string[]) {
    super(
      `Invalid operator inputs (${DEFAULT_OPERATOR_FILE} or CDK context):\n${problems.map((p) => `  - ${p}`).join('\n')}`,
    );
    this.name = 'OperatorInputError';
  }
}

/** Where inputs come from: `tryGetContext` of the app node, then the operator file. */
export interface InputSource {
  tryGetContext(key: string): unknown;
}

/**
 * Reads the operator file. A missing default file is no file; a missing file named explicitly,
 * unreadable JSON or an unknown key is an error (a typo must not fall back to a default silently).
 */
export function readOperatorFile(path: string, explicit: boolean): Record<string, unknown> {
  if (!existsSync(path)) {
    if (explicit) throw new OperatorInputError([`operatorFile: ${path} does not exist`]);
    return {};
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new OperatorInputError([`${path}: not JSON (${(error as Error).message})`]);
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new OperatorInputError([`${path}: must be a JSON object of inputs`]);
  }
  const unknown = Object.keys(parsed).filter(
    (key) => !(OPERATOR_INPUT_KEYS as readonly string[]).includes(key) && !key.startsWith('//'),
  );
  if (unknown.length > 0) {
    throw new OperatorInputError(
      unknown.map((key) => `${path}: unknown input "${key}" (known: ${OPERATOR_INPUT_KEYS.join(', ')})`),
    );
  }
  return parsed as Record<string, unknown>;
}

/** Context first, then the file: what the operator passes on the command line wins. */
export function layeredSource(context: InputSource, file: Record<string, unknown>): InputSource {
  return {
    tryGetContext: (key) => {
      const fromContext = context.tryGetContext(key);
      return fromContext === undefined ? file[key] : fromContext;
    },
  };
}

const TELEGRAM_ID = /^[1-9]\d{0,14}$/;
const BOT_USERNAME = /^[A-Za-z][A-Za-z0-9_]{3,31}$/;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
/** CloudFormation stack names; also the first segment of secret names (Secrets Manager allows it). */
const STACK_NAME = /^[A-Za-z][A-Za-z0-9-]{0,63}$/;
/** What the Lambdas' `bedrock:<model id>` accepts (lambdas/config/config.ts): ids, not ARNs. */
const MODEL_ID = /^[A-Za-z0-9][\w.:-]{0,199}$/;
const RETENTION_VALUES = new Set(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);
/** What the Lambdas' GITHUB_ORG accepts (lambdas/config/config.ts): an organisation login. */
const GITHUB_ORG = /^[A-Za-z0-9-]{1,39}$/;
const NUMERIC_ID = /^[1-9]\d{0,19}$/;
const PRICE_FIELDS = ['inputPerMTok', 'outputPerMTok', 'cacheReadPerMTok', 'cacheWritePerMTok'] as const;

/** Accepts `"1,2"`, `1`, or `[1, "2"]` (a JSON file may hold numbers or arrays). */
function list(raw: unknown): string[] {
  if (raw === undefined || raw === null) return [];
  const items = Array.isArray(raw) ? raw : String(raw).split(',');
  return items.map((item) => String(item).trim()).filter(Boolean);
}

function optionalString(raw: unknown): string | undefined {
  const value = raw === undefined || raw === null ? '' : String(raw).trim();
  return value === '' ? undefined : value;
}

/** An object from the file, or a JSON string from `-c key='{"…"}'`. */
function objectInput(raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  try {
    return JSON.parse(raw);
  } catch {
    return raw;
  }
}

function readPrices(raw: unknown, problems: string[]): Record<string, ModelPriceInput> {
  if (raw === undefined || raw === null || raw === '') return {};
  const value = objectInput(raw);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('modelPrices: must be {"<model id>": {"inputPerMTok": 3, "outputPerMTok": 15}}');
    return {};
  }
  const prices: Record<string, ModelPriceInput> = {};
  for (const [modelId, price] of Object.entries(value)) {
    const fields = (price ?? {}) as Record<string, unknown>;
    const bad = PRICE_FIELDS.filter(
      (field) =>
        (field in fields || field === 'inputPerMTok' || field === 'outputPerMTok') &&
        !(
          typeof fields[field] === 'number' &&
          Number.isFinite(fields[field]) &&
          (fields[field] as number) >= 0
        ),
    );
    const extra = Object.keys(fields).filter((f) => !(PRICE_FIELDS as readonly string[]).includes(f));
    if (!MODEL_ID.test(modelId) || bad.length > 0 || extra.length > 0) {
      problems.push(
        `modelPrices["${modelId}"]: needs inputPerMTok and outputPerMTok (optionally cacheReadPerMTok, cacheWritePerMTok) as numbers >= 0 in USD per million tokens`,
      );
      continue;
    }
    prices[modelId] = Object.fromEntries(
      PRICE_FIELDS.filter((f) => f in fields).map((f) => [f, fields[f]]),
    ) as unknown as ModelPriceInput;
  }
  return prices;
}

function readNumber(
  raw: unknown,
  key: string,
  fallback: number,
  rule: { min: number; max: number; integer?: boolean },
  problems: string[],
): number {
  const text = optionalString(raw);
  if (text === undefined) return fallback;
  const value = Number(text);
  if (
    !Number.isFinite(value) ||
    value < rule.min ||
    value > rule.max ||
    (rule.integer && !Number.isInteger(value))
  ) {
    problems.push(
      `${key}: "${text}" must be ${rule.integer ? 'an integer' : 'a number'} from ${rule.min} to ${rule.max}`,
    );
    return fallback;
  }
  return value;
}

/** Reads and validates the operator inputs; throws OperatorInputError naming every bad value. */
export function readOperatorInputs(source: InputSource): OperatorInputs {
  const problems: string[] = [];
  const get = (key: (typeof OPERATOR_INPUT_KEYS)[number]) => source.tryGetContext(key);

  const stackName = optionalString(get('stackName')) ?? DEFAULT_STACK_NAME;
  if (!STACK_NAME.test(stackName)) {
    problems.push(`stackName: "${stackName}" must be 1-64 letters, digits or -, starting with a letter`);
  }

  const region = optionalString(get('region'));
  if (region === undefined) {
    problems.push(
      `region: required, e.g. "region": "eu-west-1" in ${DEFAULT_OPERATOR_FILE} (the stack is bound to one Region so its Bedrock model ids can be checked against it)`,
    );
  } else if (!REGION_NAME.test(region)) {
    problems.push(`region: "${region}" is not an AWS Region name such as eu-west-1`);
  }

  const adminTelegramIds = list(get('adminTelegramIds'));
  for (const id of adminTelegramIds.filter((i) => !TELEGRAM_ID.test(i))) {
    problems.push(`adminTelegramIds: "${id}" is not a numeric Telegram user id`);
  }
  if (adminTelegramIds.length === 0) {
    problems.push(
      `adminTelegramIds: at least one admin is required, or nobody can use or administer the bot: "adminTelegramIds": [123456789] in ${DEFAULT_OPERATOR_FILE} (ask @userinfobot for your id)`,
    );
  }

  const botUsername = optionalString(get('botUsername')) ?? DEFAULT_BOT_USERNAME;
  if (!BOT_USERNAME.test(botUsername)) {
    problems.push(`botUsername: "${botUsername}" must be 5-32 letters, digits or _ without @`);
  }

  const alarmEmail = optionalString(get('alarmEmail'));
  if (alarmEmail !== undefined && !EMAIL.test(alarmEmail)) {
    problems.push(`alarmEmail: "${alarmEmail}" is not an email address`);
  }

  const geography = region && REGION_NAME.test(region) ? defaultProfileGeography(region) : undefined;
  const modelId = (key: 'bedrockIntentModelId' | 'bedrockAgentModelId', foundation: string): string => {
    const given = optionalString(get(key));
    if (given === undefined && region && REGION_NAME.test(region) && !geography) {
      problems.push(
        `${key}: no default for ${region} (the defaults are us., eu. and apac. inference profiles); set a model or profile id callable from ${region}`,
      );
    }
    const id = given ?? `${geography ?? 'us'}.${foundation}`;
    if (!MODEL_ID.test(id) || id.startsWith('arn:')) {
      problems.push(`${key}: "${id}" is not a Bedrock model or inference profile id (ARNs are not accepted)`);
    } else if (given !== undefined && region && REGION_NAME.test(region)) {
      const mismatch = profileRegionMismatch(id, region);
      if (mismatch) problems.push(`${key}: ${mismatch}`);
    }
    return id;
  };
  const bedrockIntentModelId = modelId('bedrockIntentModelId', DEFAULT_MODELS.intent);
  const bedrockAgentModelId = modelId('bedrockAgentModelId', DEFAULT_MODELS.agent);
  if (list(source.tryGetContext('bedrockModelIds')).length > 0) {
    // Its order never said which model does what: refuse it rather than guess.
    problems.push(
      'bedrockModelIds: replaced by bedrockIntentModelId and bedrockAgentModelId; set those instead',
    );
  }

  const modelPrices = readPrices(get('modelPrices'), problems);
  const userMonthlyBudgetUsd = readNumber(
    get('userMonthlyBudgetUsd'),
    'userMonthlyBudgetUsd',
    DEFAULT_USER_MONTHLY_BUDGET_USD,
    { min: 0, max: 1_000_000 },
    problems,
  );
  const consumerMaxConcurrency = readNumber(
    get('consumerMaxConcurrency'),
    'consumerMaxConcurrency',
    DEFAULT_CONSUMER_MAX_CONCURRENCY,
    // Lambda's limits for an SQS event source's maximum concurrency.
    { min: 2, max: 1000, integer: true },
    problems,
  );

  const retentionRaw = optionalString(get('logRetentionDays'));
  const retention = retentionRaw === undefined ? DEFAULT_LOG_RETENTION_DAYS : Number(retentionRaw);
  if (!RETENTION_VALUES.has(retention)) {
    problems.push(
      `logRetentionDays: "${retentionRaw}" must be one of ${[...RETENTION_VALUES].sort((a, b) => a - b).join(', ')}`,
    );
  }

  const github = readGitHubApp(get, problems);

  if (problems.length > 0) throw new OperatorInputError(problems);
  return {
    stackName,
    region: region as string,
    adminTelegramIds,
    botUsername,
    ...(alarmEmail ? { alarmEmail } : {}),
    bedrockIntentModelId,
    bedrockAgentModelId,
    modelPrices,
    userMonthlyBudgetUsd,
    consumerMaxConcurrency,
    logRetention: retention as RetentionDays,
    ...(github ? { github } : {}),
  };
}

/** The GitHub App ids: all three, or none (the pipeline then has no git host). */
function readGitHubApp(
  get: (key: (typeof OPERATOR_INPUT_KEYS)[number]) => unknown,
  problems: string[],
): GitHubAppInputs | undefined {
  const org = optionalString(get('githubOrg'));
  const appId = optionalString(get('githubAppId'));
  const installationId = optionalString(get('githubInstallationId'));
  const given = [org, appId, installationId].filter((v) => v !== undefined).length;
  if (given === 0) return undefined;
  if (given < 3) {
    problems.push(
      'githubOrg, githubAppId, githubInstallationId: set all three (the GitHub App of the engineering pipeline) or none',
    );
  }
  if (org !== undefined && !GITHUB_ORG.test(org)) {
    problems.push(`githubOrg: "${org}" is not a GitHub organisation login (1-39 letters, digits or -)`);
  }
  if (appId !== undefined && !NUMERIC_ID.test(appId)) {
    problems.push(`githubAppId: "${appId}" must be the App's numeric id (App settings, "App ID")`);
  }
  if (installationId !== undefined && !NUMERIC_ID.test(installationId)) {
    problems.push(
      `githubInstallationId: "${installationId}" must be the numeric installation id (the number at the end of the installation's settings URL)`,
    );
  }
  return org && appId && installationId ? { org, appId, installationId } : undefined;
}
