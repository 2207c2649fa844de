/** Names of the orchestrator's own secrets in the secrets port (Secrets Manager in AWS). */
export const SECRET_NAMES = {
  botToken: 'orchestrator/telegram/bot-token',
  webhookSecret: 'orchestrator/telegram/webhook-secret',
} as const;
