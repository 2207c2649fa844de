import { randomBytes, randomInt } from 'node:crypto';
import type { Config } from '../../lambdas/config/config.ts';
import { SecretNotFoundError, type SecretStore } from '../../lambdas/ports/secrets.ts';

const LOCAL_BOT_ID = 7_000_000_001;
const ALPHANUMERIC = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';

/**
 * First start: invent the bot token the emulator will accept and a webhook secret token, as an
 * operator does with BotFather and `cdk deploy`. Later starts reuse the stored ones.
 */
export async function ensureLocalSecrets(secrets: SecretStore, config: Config): Promise<void> {
  await ensure(
    secrets,
    config.secretIds.botToken,
    () => `${LOCAL_BOT_ID}:${randomBytes(26).toString('base64url')}`,
  );
  await ensure(secrets, config.secretIds.webhookSecret, () =>
    Array.from({ length: 48 }, () => ALPHANUMERIC[randomInt(ALPHANUMERIC.length)]).join(''),
  );
}

async function ensure(secrets: SecretStore, name: string, make: () => string): Promise<void> {
  try {
    await secrets.get(name);
  } catch (error) {
    if (!(error instanceof SecretNotFoundError)) throw error;
    await secrets.put(name, make());
  }
}
