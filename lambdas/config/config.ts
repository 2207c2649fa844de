import { z } from 'zod';
import type { TableName } from '../ports/key-value-store.ts';
import { SECRET_NAMES } from './secret-names.ts';
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

const tableNames = Object.fromEntries(
  TABLES.map((t) => [t.envVar, z.string().min(3, 'must be a DynamoDB table name').optional()]),
);

export const envSchema = z
  .object({
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
    LOCAL_SECRETS_DIR: z.string().optional(),
    QUEUE_DRIVER: z.enum(['sqs', 'local-file']).default('sqs'),
    QUEUE_URL: z.url().optional(),
    LOCAL_QUEUE_DIR: z.string().optional(),
    LOCAL_QUEUE_VISIBILITY_SECONDS: z.coerce.number().int().min(1).max(43_200).default(360),
    LOCAL_QUEUE_MAX_RECEIVES: z.coerce.number().int().min(1).max(1000).default(5),
    DYNAMODB_ENDPOINT: z.url().optional(),
    TABLE_PREFIX: z.string().default(''),
    MAX_UPDATE_BYTES: z.coerce.number().int().min(1024).max(262_144).default(65_536),
    DEDUP_TTL_HOURS: z.coerce.number().min(25, 'Telegram retries for 24 h: keep at least 25').default(25),
    SECRETS_CACHE_SECONDS: z.coerce.number().int().min(0).default(300),
    ...tableNames,
  });

/**
 * Rules between variables, checked on the raw environment so they are reported together with
 * any field errors (a schema-level refinement would be skipped once one field fails).
 */
function crossFieldProblems(source: NodeJS.ProcessEnv): string[] {
  const problems: string[] = [];
  const queueDriver = source.QUEUE_DRIVER ?? 'sqs';
  if (queueDriver === 'sqs' && !source.QUEUE_URL) problems.push('QUEUE_URL: is required when QUEUE_DRIVER=sqs');
  if (queueDriver === 'local-file' && !source.LOCAL_QUEUE_DIR) {
    problems.push('LOCAL_QUEUE_DIR: is required when QUEUE_DRIVER=local-file');
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
  secrets: { driver: 'aws' } | { driver: 'local-file'; dir: string };
  queue:
    | { driver: 'sqs'; url: string }
    | { driver: 'local-file'; dir: string; visibilityTimeoutMs: number; maxReceiveCount: number };
  dynamoEndpoint?: string;
  tableNames: Record<TableName, string>;
  maxUpdateBytes: number;
  dedupTtlSeconds: number;
  secretsCacheSeconds: number;
}

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
        ? { driver: 'aws' }
        : { driver: 'local-file', dir: env.LOCAL_SECRETS_DIR! },
    queue:
      env.QUEUE_DRIVER === 'sqs'
        ? { driver: 'sqs', url: env.QUEUE_URL! }
        : {
            driver: 'local-file',
            dir: env.LOCAL_QUEUE_DIR!,
            // Mirrors the deployed queue by default: visibility 6x the consumer's 60 s timeout.
            visibilityTimeoutMs: env.LOCAL_QUEUE_VISIBILITY_SECONDS * 1000,
            maxReceiveCount: env.LOCAL_QUEUE_MAX_RECEIVES,
          },
    ...(env.DYNAMODB_ENDPOINT ? { dynamoEndpoint: env.DYNAMODB_ENDPOINT } : {}),
    tableNames: tableNamesByPort,
    maxUpdateBytes: env.MAX_UPDATE_BYTES,
    dedupTtlSeconds: Math.ceil(env.DEDUP_TTL_HOURS * 3600),
    secretsCacheSeconds: env.SECRETS_CACHE_SECONDS,
  };
}
