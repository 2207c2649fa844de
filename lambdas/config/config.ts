import * as z from 'zod';
import type { TableName } from '../ports/key-value-store.ts';
import { resourceSecretPrefixes, SECRET_NAMES } from './secret-names.ts';
import { TABLES } from './tables.ts';

/**
 * Runtime configuration, read from the environment and validated once at start. The same schema
 * serves the Lambdas (set by CDK) and the local stack (set by the operator or its defaults), so a
 * wrong value fails in the same words everywhere.
 */
const idList = z
  .string()
  .default('')
  .transform((raw, ctx) => {
    const parts = raw
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const ids: number[] = [];
    for (const part of parts) {
      if (!/^[1-9]\d{0,14}$/.test(part)) {
        ctx.addIssue({ code: 'custom', message: `"${part}" is not a numeric Telegram user id` });
        return z.NEVER;
      }
      ids.push(Number(part));
    }
    return ids;
  });

/** `offline`, `bedrock:<model id>` or `openai:<model>` (any OpenAI-compatible server). */
const modelSpec = z
  .string()
  .regex(
    /^(offline|bedrock:[\w.:-]+|openai:[\w.:/-]+)$/,
    'must be offline, bedrock:<model id> or openai:<model>',
  )
  .transform((raw): ModelSpec => {
    if (raw === 'offline') return { provider: 'offline' };
    const [provider, ...rest] = raw.split(':');
    return { provider: provider as 'bedrock' | 'openai', modelId: rest.join(':') };
  });

export type ModelSpec = { provider: 'offline' } | { provider: 'bedrock' | 'openai'; modelId: string };

const price = z.object({
  inputPerMTok: z.number().min(0),
  outputPerMTok: z.number().min(0),
  cacheReadPerMTok: z.number().min(0).optional(),
  cacheWritePerMTok: z.number().min(0).optional(),
});

/** JSON object: model id -> US dollars per million tokens. */
const priceTable = z
  .string()
  .transform((raw, ctx) => {
    try {
      return JSON.parse(raw) as unknown;
    } catch {
      ctx.addIssue({
        code: 'custom',
        message: 'must be JSON: {"<model id>": {"inputPerMTok": 3, "outputPerMTok": 15}}',
      });
      return z.NEVER;
    }
  })
  .pipe(z.record(z.string(), price));

/** Default of USER_MONTHLY_BUDGET_USD: a monthly spending limit per user, in USD. */
export const DEFAULT_USER_MONTHLY_BUDGET_USD = 20;
/** Default of PROJECT_MONTHLY_BUDGET_USD: a monthly spending limit per project, in USD. */
export const DEFAULT_PROJECT_MONTHLY_BUDGET_USD = 50;
/** Default of BUDGET_RAISE_USD: what one "raise for this run" allows past a budget, in USD. */
export const DEFAULT_BUDGET_RAISE_USD = 5;

const tableNames = Object.fromEntries(
  TABLES.map((t) => [t.envVar, z.string().min(3, 'must be a DynamoDB table name').optional()]),
);

const secretPrefix = z.string().regex(/^([A-Za-z0-9_+=.@-]+\/)+$/, 'must be path segments ending in /');

export const envSchema = z.object({
  ADMIN_TELEGRAM_IDS: idList,
  TELEGRAM_BOT_USERNAME: z
    .string()
    .regex(/^[A-Za-z][A-Za-z0-9_]{3,31}$/, 'must be the bot username without @ (5-32 letters, digits, _)'),
  TELEGRAM_API_ROOT: z
    .url({ message: 'must be a URL such as https://api.telegram.org' })
    .default('https://api.telegram.org'),
  BOT_TOKEN_SECRET_ID: z.string().min(1).default(SECRET_NAMES.botToken),
  WEBHOOK_SECRET_ID: z.string().min(1).default(SECRET_NAMES.webhookSecret),
  SECRETS_DRIVER: z.enum(['aws', 'local-file']).default('aws'),
  PROJECT_SECRETS_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_+=.@-]+\/)*$/, 'must be empty or path segments ending in /')
    .default(''),
  SERVER_KEYS_SECRETS_PREFIX: secretPrefix.optional(),
  BOT_POOL_SECRETS_PREFIX: secretPrefix.optional(),
  SECRETS_KMS_KEY_ID: z.string().min(1).optional(),
  LOCAL_SECRETS_DIR: z.string().optional(),
  QUEUE_DRIVER: z.enum(['sqs', 'local-file']).default('sqs'),
  QUEUE_URL: z.url().optional(),
  DEAD_LETTER_QUEUE_URL: z.url().optional(),
  LOCAL_QUEUE_DIR: z.string().optional(),
  LOCAL_QUEUE_VISIBILITY_SECONDS: z.coerce.number().int().min(1).max(43_200).default(360),
  // A backstop for a consumer that dies outright; the consumer gives up by itself after
  // UPDATE_MAX_ATTEMPTS real failures, and busy or paused bounces must not use up this count.
  LOCAL_QUEUE_MAX_RECEIVES: z.coerce.number().int().min(1).max(1000).default(50),
  UPDATE_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(20).default(8),
  UPDATE_RETRY_BASE_SECONDS: z.coerce.number().min(0).max(900).default(20),
  UPDATE_RETRY_MAX_SECONDS: z.coerce.number().min(0).max(43_200).default(900),
  DYNAMODB_ENDPOINT: z.url().optional(),
  TABLE_PREFIX: z.string().default(''),
  MAX_UPDATE_BYTES: z.coerce.number().int().min(1024).max(262_144).default(65_536),
  DEDUP_TTL_HOURS: z.coerce.number().min(25, 'Telegram retries for 24 h: keep at least 25').default(25),
  SECRETS_CACHE_SECONDS: z.coerce.number().int().min(0).default(300),
  METRICS_DRIVER: z.enum(['emf', 'memory']).default('memory'),
  PIPELINES_DRIVER: z.enum(['none', 'sfn', 'local']).default('none'),
  ENGINEERING_STATE_MACHINE_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:states:/, 'must be a state machine ARN')
    .optional(),
  DEVOPS_STATE_MACHINE_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:states:/, 'must be a state machine ARN')
    .optional(),
  GIT_HOST_DRIVER: z.enum(['none', 'github', 'local']).default('none'),
  GITHUB_ORG: z
    .string()
    .regex(/^[A-Za-z0-9-]{1,39}$/, 'must be a GitHub organisation login')
    .optional(),
  GITHUB_APP_ID: z.string().regex(/^\d+$/).optional(),
  GITHUB_INSTALLATION_ID: z.string().regex(/^\d+$/).optional(),
  GITHUB_APP_KEY_SECRET_ID: z.string().min(1).optional(),
  GITHUB_API_URL: z.url().default('https://api.github.com'),
  WORKER_CLUSTER_ARN: z.string().optional(),
  LLM_INTENT_MODEL: modelSpec.prefault('offline'),
  LLM_AGENT_MODEL: modelSpec.prefault('offline'),
  LLM_TIMEOUT_SECONDS: z.coerce.number().int().min(5).max(900).default(60),
  OPENAI_BASE_URL: z.url().default('https://api.openai.com/v1'),
  OPENAI_API_KEY_SECRET_ID: z.string().min(1).default('orchestrator/llm/openai-api-key'),
  LLM_PRICES: priceTable.default({}),
  USER_MONTHLY_BUDGET_USD: z.coerce.number().min(0).default(DEFAULT_USER_MONTHLY_BUDGET_USD),
  PROJECT_MONTHLY_BUDGET_USD: z.coerce.number().min(0).default(DEFAULT_PROJECT_MONTHLY_BUDGET_USD),
  BUDGET_RAISE_USD: z.coerce.number().positive().default(DEFAULT_BUDGET_RAISE_USD),
  // Reminders (EventBridge Scheduler): the consumer's schedule group, the role Scheduler sends
  // with, and the updates queue it sends to. All three, or none (no reminders).
  SCHEDULER_GROUP_NAME: z
    .string()
    .regex(/^[0-9A-Za-z_.-]{1,64}$/, 'must be a schedule group name')
    .optional(),
  SCHEDULER_ROLE_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:iam::\d{12}:role\//, 'must be an IAM role ARN')
    .optional(),
  UPDATES_QUEUE_ARN: z
    .string()
    .regex(/^arn:aws[\w-]*:sqs:/, 'must be an SQS queue ARN')
    .optional(),
  AGENT_MAX_ITERATIONS: z.coerce.number().int().min(1).max(50).default(8),
  AGENT_MAX_TOKENS_PER_REQUEST: z.coerce.number().int().min(1000).max(2_000_000).default(60_000),
  CONVERSATION_LEASE_SECONDS: z.coerce.number().int().min(2).max(3600).default(300),
  FAULT_INJECTION_MODE: z.enum(['throw', 'kill']).default('throw'),
  FAULT_INJECTION: z
    .string()
    .regex(
      /^(after-model-call|after-tool-started|after-tool-executed|after-tool-recorded)(:[a-z_]+)?$/,
      'is a crash point for tests, e.g. after-tool-executed:create_project',
    )
    .optional(),
  // The admin API's limit per API key (a token bucket in the store): sustained rate and burst.
  API_RATE_LIMIT_PER_SECOND: z.coerce.number().positive().max(1000).default(5),
  API_RATE_LIMIT_BURST: z.coerce.number().int().min(1).max(10_000).default(30),
  // Project knowledge (search_knowledge, indexing after each build): `local` keeps it under
  // LOCAL_KNOWLEDGE_DIR (USE lite, files), `aws` in S3 Vectors and S3 (Titan V2), `off` nowhere.
  KNOWLEDGE_DRIVER: z.enum(['off', 'local', 'aws']).default('off'),
  LOCAL_KNOWLEDGE_DIR: z.string().min(1).optional(),
  KNOWLEDGE_VECTOR_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$/, 'must be an S3 vector bucket name')
    .optional(),
  KNOWLEDGE_BUCKET: z
    .string()
    .regex(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, 'must be an S3 bucket name')
    .optional(),
  KNOWLEDGE_PREFIX: z
    .string()
    .regex(/^([A-Za-z0-9_.-]+\/)*$/, 'must be empty or path segments ending in /')
    .default('knowledge/'),
  ...tableNames,
});

/**
 * Rules between variables, checked on the raw environment so they are reported together with
 * any field errors (a schema-level refinement would be skipped once one field fails).
 */
function crossFieldProblems(source: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const queueDriver = source.QUEUE_DRIVER ?? 'sqs';
  if (queueDriver === 'sqs' && !source.QUEUE_URL)
    problems.push('QUEUE_URL: is required when QUEUE_DRIVER=sqs');
  if (queueDriver === 'local-file' && !source.LOCAL_QUEUE_DIR) {
    problems.push('LOCAL_QUEUE_DIR: is required when QUEUE_DRIVER=local-file');
  }
  if (
    source.PIPELINES_DRIVER === 'sfn' &&
    !source.ENGINEERING_STATE_MACHINE_ARN &&
    !source.DEVOPS_STATE_MACHINE_ARN
  ) {
    problems.push(
      'ENGINEERING_STATE_MACHINE_ARN (or DEVOPS_STATE_MACHINE_ARN): at least one is required when PIPELINES_DRIVER=sfn',
    );
  }
  if (source.GIT_HOST_DRIVER === 'github') {
    for (const name of [
      'GITHUB_ORG',
      'GITHUB_APP_ID',
      'GITHUB_INSTALLATION_ID',
      'GITHUB_APP_KEY_SECRET_ID',
    ]) {
      if (!source[name]) problems.push(`${name}: is required when GIT_HOST_DRIVER=github`);
    }
  }
  if (source.KNOWLEDGE_DRIVER === 'local' && !source.LOCAL_KNOWLEDGE_DIR)
    problems.push('LOCAL_KNOWLEDGE_DIR: is required when KNOWLEDGE_DRIVER=local');
  if (source.KNOWLEDGE_DRIVER === 'aws') {
    for (const name of ['KNOWLEDGE_VECTOR_BUCKET', 'KNOWLEDGE_BUCKET']) {
      if (!source[name]) problems.push(`${name}: is required when KNOWLEDGE_DRIVER=aws`);
    }
  }
  if (source.SECRETS_DRIVER === 'local-file' && !source.LOCAL_SECRETS_DIR) {
    problems.push('LOCAL_SECRETS_DIR: is required when SECRETS_DRIVER=local-file');
  }
  return problems;
}

export type Env = z.infer<typeof envSchema>;

export interface Config {
  adminIds: ReadonlySet<number>;
  botUsername: string;
  telegramApiRoot: string;
  secretIds: { botToken: string; webhookSecret: string };
  secrets: { driver: 'aws'; kmsKeyId?: string } | { driver: 'local-file'; dir: string };
  /** Prefix of the names of secrets people send (project secrets), e.g. `codegen/`. */
  projectSecretsPrefix: string;
  /** Prefix of the deployment servers' SSH key secrets: `<prefix><server id>/ssh-key`. */
  serverKeysPrefix: string;
  /** Prefix of the pool bots' token secrets: `<prefix><bot id>/token`. */
  botPoolSecretsPrefix: string;
  /** `deadLetterUrl` (sqs): where the consumer moves a message itself after its last real failure. */
  queue:
    | { driver: 'sqs'; url: string; deadLetterUrl?: string }
    | { driver: 'local-file'; dir: string; visibilityTimeoutMs: number; maxReceiveCount: number };
  dynamoEndpoint?: string;
  tableNames: Record<TableName, string>;
  maxUpdateBytes: number;
  dedupTtlSeconds: number;
  /** How the consumer retries an update that failed for a reason that may pass. */
  updateRetry: { maxAttempts: number; baseDelayMs: number; maxDelayMs: number };
  secretsCacheSeconds: number;
  /** `emf`: CloudWatch embedded metrics; `memory`: counters for the local stack's GET /metrics. */
  metricsDriver: 'emf' | 'memory';
  /** Step Functions (`sfn`), the local runner (`local`, set by the local stack) or none. */
  pipelines:
    | { driver: 'none' }
    | { driver: 'local' }
    | { driver: 'sfn'; stateMachineArns: { engineering?: string; devops?: string } };
  gitHost:
    | { driver: 'none' }
    | { driver: 'local' }
    | {
        driver: 'github';
        org: string;
        appId: string;
        installationId: string;
        appKeySecretId: string;
        apiUrl: string;
      };
  /** The ECS cluster the workers run in (the step that stops a run's workers needs it). */
  workerClusterArn?: string;
  llm: {
    intent: ModelSpec;
    agent: ModelSpec;
    timeoutMs: number;
    openAiBaseUrl: string;
    openAiKeySecretId: string;
    prices: Record<string, z.infer<typeof price>>;
  };
  /**
   * Where project knowledge lives (ports embedding-model, vector-index, blob-store): `local` under
   * a directory (the local stack's data dir), `aws` in an S3 vector bucket and an S3 bucket, `off`:
   * search_knowledge says it is not available and nothing is indexed.
   */
  knowledge:
    | { driver: 'off' }
    | { driver: 'local'; dir: string }
    | { driver: 'aws'; vectorBucketName: string; bucket: string; prefix: string };
  /** The admin API's per-key rate limit (token bucket: refill per second, bucket size). */
  api: { ratePerSecond: number; burst: number };
  usage: {
    /** Default monthly spending limit per user in USD, until an admin sets one (Budgets). */
    monthlyBudgetUsdPerUser: number;
    /** Default monthly spending limit per project in USD. */
    monthlyBudgetUsdPerProject: number;
    /** What the owner's "raise for this run" allows past a budget, in USD. */
    budgetRaiseUsd: number;
  };
  /** Where reminders are scheduled (EventBridge Scheduler); absent, none are (locally: a timer). */
  reminders?: { groupName: string; roleArn: string; queueArn: string };
  agent: {
    maxIterations: number;
    maxTokensPerRequest: number;
    leaseSeconds: number;
    faultInjection?: string;
    /** `kill`: the process kills itself with SIGKILL at the crash point (local stack tests). */
    faultMode?: 'throw' | 'kill';
  };
}

/**
 * List prices (USD per million tokens) of the default models by foundation model id, used unless
 * LLM_PRICES overrides them; check your region's Bedrock pricing page. Each applies to the plain
 * id and to the us., eu. and apac. cross-Region inference profiles of the model (CDK picks the
 * profile of the deploy Region's geography).
 */
const FOUNDATION_MODEL_PRICES: Record<string, z.infer<typeof price>> = {
  'anthropic.claude-sonnet-4-20250514-v1:0': {
    inputPerMTok: 3,
    outputPerMTok: 15,
    cacheReadPerMTok: 0.3,
    cacheWritePerMTok: 3.75,
  },
  'anthropic.claude-3-5-haiku-20241022-v1:0': {
    inputPerMTok: 0.8,
    outputPerMTok: 4,
    cacheReadPerMTok: 0.08,
    cacheWritePerMTok: 1,
  },
  'amazon.nova-lite-v1:0': { inputPerMTok: 0.06, outputPerMTok: 0.24 },
  'amazon.nova-pro-v1:0': { inputPerMTok: 0.8, outputPerMTok: 3.2 },
};

/** Built-in prices by model id (see FOUNDATION_MODEL_PRICES); the offline model is free. */
export const DEFAULT_PRICES: Readonly<Record<string, z.infer<typeof price>>> = {
  'offline-deterministic': { inputPerMTok: 0, outputPerMTok: 0 },
  ...Object.fromEntries(
    Object.entries(FOUNDATION_MODEL_PRICES).flatMap(([id, p]) =>
      ['', 'us.', 'eu.', 'apac.'].map((prefix) => [`${prefix}${id}`, p]),
    ),
  ),
};

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Parses the environment; throws ConfigError naming every wrong variable and why. */
export function loadConfig(source: NodeJS.ProcessEnv = process.env): Config {
  const parsed = envSchema.safeParse(source);
  const problems = [
    ...(parsed.success
      ? []
      : parsed.error.issues.map((issue) => `${issue.path.join('.') || '(environment)'}: ${issue.message}`)),
    ...crossFieldProblems(source),
  ];
  if (!parsed.success || problems.length > 0) throw new ConfigError(problems);
  const env = parsed.data as Env & Record<string, string | undefined>;
  const tableNamesByPort = Object.fromEntries(
    TABLES.map((t) => [t.name, env[t.envVar] ?? `${env.TABLE_PREFIX}${t.name}`]),
  ) as Record<TableName, string>;
  return {
    adminIds: new Set(env.ADMIN_TELEGRAM_IDS),
    botUsername: env.TELEGRAM_BOT_USERNAME,
    telegramApiRoot: env.TELEGRAM_API_ROOT,
    secretIds: { botToken: env.BOT_TOKEN_SECRET_ID, webhookSecret: env.WEBHOOK_SECRET_ID },
    secrets:
      env.SECRETS_DRIVER === 'aws'
        ? { driver: 'aws', ...(env.SECRETS_KMS_KEY_ID ? { kmsKeyId: env.SECRETS_KMS_KEY_ID } : {}) }
        : { driver: 'local-file', dir: env.LOCAL_SECRETS_DIR! },
    projectSecretsPrefix: env.PROJECT_SECRETS_PREFIX,
    serverKeysPrefix:
      env.SERVER_KEYS_SECRETS_PREFIX ?? resourceSecretPrefixes(env.PROJECT_SECRETS_PREFIX).serverKeys,
    botPoolSecretsPrefix:
      env.BOT_POOL_SECRETS_PREFIX ?? resourceSecretPrefixes(env.PROJECT_SECRETS_PREFIX).botPool,
    queue:
      env.QUEUE_DRIVER === 'sqs'
        ? {
            driver: 'sqs',
            url: env.QUEUE_URL!,
            ...(env.DEAD_LETTER_QUEUE_URL ? { deadLetterUrl: env.DEAD_LETTER_QUEUE_URL } : {}),
          }
        : {
            driver: 'local-file',
            dir: env.LOCAL_QUEUE_DIR!,
            // Shorter than the deployed queue's 1800 s so a crashed local run resumes within minutes,
            // and still longer than the conversation lease (CONVERSATION_LEASE_SECONDS, 300 s).
            visibilityTimeoutMs: env.LOCAL_QUEUE_VISIBILITY_SECONDS * 1000,
            maxReceiveCount: env.LOCAL_QUEUE_MAX_RECEIVES,
          },
    ...(env.DYNAMODB_ENDPOINT ? { dynamoEndpoint: env.DYNAMODB_ENDPOINT } : {}),
    tableNames: tableNamesByPort,
    maxUpdateBytes: env.MAX_UPDATE_BYTES,
    dedupTtlSeconds: Math.ceil(env.DEDUP_TTL_HOURS * 3600),
    updateRetry: {
      maxAttempts: env.UPDATE_MAX_ATTEMPTS,
      baseDelayMs: env.UPDATE_RETRY_BASE_SECONDS * 1000,
      maxDelayMs: env.UPDATE_RETRY_MAX_SECONDS * 1000,
    },
    secretsCacheSeconds: env.SECRETS_CACHE_SECONDS,
    metricsDriver: env.METRICS_DRIVER,
    pipelines:
      env.PIPELINES_DRIVER === 'sfn'
        ? {
            driver: 'sfn',
            // Each function names the state machines it may use: the deployer's broker only devops.
            stateMachineArns: {
              ...(env.ENGINEERING_STATE_MACHINE_ARN
                ? { engineering: env.ENGINEERING_STATE_MACHINE_ARN }
                : {}),
              ...(env.DEVOPS_STATE_MACHINE_ARN ? { devops: env.DEVOPS_STATE_MACHINE_ARN } : {}),
            },
          }
        : { driver: env.PIPELINES_DRIVER },
    gitHost:
      env.GIT_HOST_DRIVER === 'github'
        ? {
            driver: 'github',
            org: env.GITHUB_ORG!,
            appId: env.GITHUB_APP_ID!,
            installationId: env.GITHUB_INSTALLATION_ID!,
            appKeySecretId: env.GITHUB_APP_KEY_SECRET_ID!,
            apiUrl: env.GITHUB_API_URL,
          }
        : { driver: env.GIT_HOST_DRIVER },
    ...(env.WORKER_CLUSTER_ARN ? { workerClusterArn: env.WORKER_CLUSTER_ARN } : {}),
    llm: {
      intent: env.LLM_INTENT_MODEL,
      agent: env.LLM_AGENT_MODEL,
      timeoutMs: env.LLM_TIMEOUT_SECONDS * 1000,
      openAiBaseUrl: env.OPENAI_BASE_URL,
      openAiKeySecretId: env.OPENAI_API_KEY_SECRET_ID,
      prices: { ...DEFAULT_PRICES, ...env.LLM_PRICES },
    },
    knowledge:
      env.KNOWLEDGE_DRIVER === 'local'
        ? { driver: 'local', dir: env.LOCAL_KNOWLEDGE_DIR! }
        : env.KNOWLEDGE_DRIVER === 'aws'
          ? {
              driver: 'aws',
              vectorBucketName: env.KNOWLEDGE_VECTOR_BUCKET!,
              bucket: env.KNOWLEDGE_BUCKET!,
              prefix: env.KNOWLEDGE_PREFIX,
            }
          : { driver: 'off' },
    api: { ratePerSecond: env.API_RATE_LIMIT_PER_SECOND, burst: env.API_RATE_LIMIT_BURST },
    usage: {
      monthlyBudgetUsdPerUser: env.USER_MONTHLY_BUDGET_USD,
      monthlyBudgetUsdPerProject: env.PROJECT_MONTHLY_BUDGET_USD,
      budgetRaiseUsd: env.BUDGET_RAISE_USD,
    },
    ...(env.SCHEDULER_GROUP_NAME && env.SCHEDULER_ROLE_ARN && env.UPDATES_QUEUE_ARN
      ? {
          reminders: {
            groupName: env.SCHEDULER_GROUP_NAME,
            roleArn: env.SCHEDULER_ROLE_ARN,
            queueArn: env.UPDATES_QUEUE_ARN,
          },
        }
      : {}),
    agent: {
      maxIterations: env.AGENT_MAX_ITERATIONS,
      maxTokensPerRequest: env.AGENT_MAX_TOKENS_PER_REQUEST,
      leaseSeconds: env.CONVERSATION_LEASE_SECONDS,
      ...(env.FAULT_INJECTION
        ? { faultInjection: env.FAULT_INJECTION, faultMode: env.FAULT_INJECTION_MODE }
        : {}),
    },
  };
}
