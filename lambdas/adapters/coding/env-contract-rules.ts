/**
 * The variables a generated project needs, decided by plain keyword rules over the spec, so the
 * same spec always gives the same contract. `config` has a safe default and may be committed;
 * `secret` never has a default and is stored by the devops pipeline, never in the repository.
 *
 * Rules (case-insensitive, whole words):
 * - always                          PORT (config, default 3000)
 * - "telegram"                      TELEGRAM_BOT_TOKEN (secret)
 * - "weather" / "forecast"          WEATHER_API_KEY (secret)
 * - "database" / "postgres" / "sql" DATABASE_URL (secret)
 * - "openai" / "llm" / "gpt"        OPENAI_API_KEY (secret)
 * - "email" / "smtp"                SMTP_URL (secret)
 * - "stripe" / "payment"            STRIPE_API_KEY (secret)
 */
export interface EnvVariable {
  name: string;
  kind: 'config' | 'secret';
  default?: string;
  description: string;
}

const RULES: { pattern: RegExp; variable: EnvVariable }[] = [
  {
    pattern: /\btelegram\b/i,
    variable: { name: 'TELEGRAM_BOT_TOKEN', kind: 'secret', description: 'Token of the Telegram bot' },
  },
  {
    pattern: /\b(weather|forecasts?)\b/i,
    variable: { name: 'WEATHER_API_KEY', kind: 'secret', description: 'API key of the weather provider' },
  },
  {
    pattern: /\b(database|postgres(ql)?|sql)\b/i,
    variable: { name: 'DATABASE_URL', kind: 'secret', description: 'Connection URL of the database' },
  },
  {
    pattern: /\b(openai|llm|gpt)\b/i,
    variable: { name: 'OPENAI_API_KEY', kind: 'secret', description: 'API key of the language model' },
  },
  {
    pattern: /\b(e-?mails?|smtp)\b/i,
    variable: { name: 'SMTP_URL', kind: 'secret', description: 'SMTP URL for outgoing mail' },
  },
  {
    pattern: /\b(stripe|payments?)\b/i,
    variable: { name: 'STRIPE_API_KEY', kind: 'secret', description: 'Stripe secret key' },
  },
];

const PORT: EnvVariable = {
  name: 'PORT',
  kind: 'config',
  default: '3000',
  description: 'Port the HTTP server listens on',
};

export function envContractFor(spec: string): EnvVariable[] {
  return [PORT, ...RULES.filter((rule) => rule.pattern.test(spec)).map((rule) => rule.variable)];
}
