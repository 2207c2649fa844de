import { resolve } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../../lambdas/config/config.ts';

/**
 * Settings of the local stack itself (the Lambdas' settings are validated by lambdas/config).
 * Defaults make `npm start` work on a fresh clone with no configuration at all.
 */
const localSchema = z.object({
  LOCAL_DATA_DIR: z.string().min(1).default('.local/data'),
  LOCAL_HTTP_PORT: z.coerce.number().int().min(0).max(65_535).default(3000),
  LOCAL_TELEGRAM_PORT: z.coerce.number().int().min(0).max(65_535).default(0),
  // The Step Functions API of the local runner: `npm run runs` reads runs there.
  LOCAL_SFN_PORT: z.coerce.number().int().min(0).max(65_535).default(3001),
  LOCAL_CHAT_USER_ID: z.coerce.number().int().positive().default(1001),
  LOCAL_CHAT_USER_NAME: z.string().min(1).max(64).default('Local Admin'),
});

export interface LocalSettings {
  dataDir: string;
  httpPort: number;
  telegramPort: number;
  sfnPort: number;
  chatUserId: number;
  chatUserName: string;
}

export function loadLocalSettings(source: NodeJS.ProcessEnv = process.env): LocalSettings {
  const parsed = localSchema.safeParse(source);
  if (!parsed.success) {
    throw new ConfigError(parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`));
  }
  const env = parsed.data;
  return {
    dataDir: resolve(env.LOCAL_DATA_DIR),
    httpPort: env.LOCAL_HTTP_PORT,
    telegramPort: env.LOCAL_TELEGRAM_PORT,
    sfnPort: env.LOCAL_SFN_PORT,
    chatUserId: env.LOCAL_CHAT_USER_ID,
    chatUserName: env.LOCAL_CHAT_USER_NAME,
  };
}

/**
 * The Lambdas' environment for the local stack: local adapters, loopback endpoints, and the
 * terminal user as the admin unless the operator set ADMIN_TELEGRAM_IDS.
 */
export function localLambdaEnv(
  base: NodeJS.ProcessEnv,
  wiring: { dataDir: string; dynamoEndpoint: string; telegramApiRoot: string; chatUserId: number },
): NodeJS.ProcessEnv {
  return {
    TELEGRAM_BOT_USERNAME: 'local_orchestrator_bot',
    ADMIN_TELEGRAM_IDS: String(wiring.chatUserId),
    ...base,
    TELEGRAM_API_ROOT: wiring.telegramApiRoot,
    SECRETS_DRIVER: 'local-file',
    LOCAL_SECRETS_DIR: resolve(wiring.dataDir, 'secrets'),
    QUEUE_DRIVER: 'local-file',
    LOCAL_QUEUE_DIR: resolve(wiring.dataDir, 'queue'),
    DYNAMODB_ENDPOINT: wiring.dynamoEndpoint,
    TABLE_PREFIX: base.TABLE_PREFIX ?? 'local-',
    // Project knowledge under the data dir (USE lite, JSON files) unless the operator chose off.
    KNOWLEDGE_DRIVER: base.KNOWLEDGE_DRIVER ?? 'local',
    LOCAL_KNOWLEDGE_DIR: base.LOCAL_KNOWLEDGE_DIR ?? resolve(wiring.dataDir, 'knowledge'),
  };
}
