/**
 * Names of the orchestrator's own secrets under a prefix: `<prefix>/telegram/bot-token`. The
 * deployed stack uses its stack name as the prefix (two stacks in one account never share a
 * secret); the Lambdas get the ARNs through BOT_TOKEN_SECRET_ID and WEBHOOK_SECRET_ID, so these
 * names matter to operators (put-secret-value) and to the local stack.
 */
export function secretNamesUnder(prefix: string) {
  return {
    botToken: `${prefix}/telegram/bot-token`,
    webhookSecret: `${prefix}/telegram/webhook-secret`,
  } as const;
}

/** Defaults of BOT_TOKEN_SECRET_ID and WEBHOOK_SECRET_ID (local stack, bench). */
export const SECRET_NAMES = {
  botToken: 'orchestrator/telegram/bot-token',
  webhookSecret: 'orchestrator/telegram/webhook-secret',
} as const satisfies ReturnType<typeof secretNamesUnder>;

/**
 * Defaults of SERVER_KEYS_SECRETS_PREFIX and BOT_POOL_SECRETS_PREFIX: beside the project secrets,
 * under the same prefix (the deployed stack's `<stack name>/`, whose families it may write), or
 * under `orchestrator/` like the names above when there is none (local stack).
 */
export function resourceSecretPrefixes(projectSecretsPrefix: string) {
  const root = projectSecretsPrefix || 'orchestrator/';
  return { serverKeys: `${root}servers/`, botPool: `${root}bot-pool/` } as const;
}
