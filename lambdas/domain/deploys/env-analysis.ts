import * as z from 'zod';
import { invalid } from '../errors.ts';

/**
 * Env analysis: what each variable of a project's env contract (`env.contract.json`, written by
 * the architect and the developer) needs at deploy time.
 * - `generate`: an infrastructure secret nobody has to know (a session key, a database password
 *   for a database we also run); generated once, kept in the secrets port.
 * - `ask`: a secret only the person can give (a third-party API key, their bot's token).
 * - `config`: plain configuration with a default; it may be set without asking.
 * The model advises; these rules bound it, so a model can never turn a secret into configuration
 * or invent a value for a key the person must give.
 */
export type VariableClass = 'generate' | 'ask' | 'config';

export const envContractSchema = z
  .array(
    z.object({
      name: z.string().regex(/^[A-Z][A-Z0-9_]{0,63}$/),
      kind: z.enum(['config', 'secret']),
      default: z.string().max(1000).optional(),
      description: z.string().max(500).optional(),
    }),
  )
  .max(100);
export type EnvContract = z.infer<typeof envContractSchema>;

export interface ClassifiedVariable {
  name: string;
  class: VariableClass;
  /** Config only: the value the deploy uses unless the project sets one. */
  default?: string;
  description?: string;
}

export interface EnvAnalysis {
  variables: ClassifiedVariable[];
  /** The app talks to Telegram as a bot: a pool token is allocated when the person gives none. */
  needsBotToken: boolean;
}

export const BOT_TOKEN_VARIABLE = 'TELEGRAM_BOT_TOKEN';

/** Names of values only our side knows: random, and useless to anyone else. */
const GENERATED =
  /(^|_)(SESSION|COOKIE|JWT|SIGNING|ENCRYPTION|CSRF|APP|SECRET)_(SECRET|KEY)$|(^|_)(PASSWORD|SALT|PEPPER)$|^SECRET_KEY$/;

/** Variables the deploy itself provides, whatever the contract says. */
export const PROVIDED_BY_DEPLOY = new Set(['PORT']);

export function parseEnvContract(text: string): EnvContract {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw invalid('env.contract.json is not JSON');
  }
  const parsed = envContractSchema.safeParse(value);
  if (!parsed.success)
    throw invalid(`env.contract.json is invalid: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  const names = new Set<string>();
  for (const variable of parsed.data) {
    if (names.has(variable.name)) throw invalid(`env.contract.json names ${variable.name} twice`);
    names.add(variable.name);
  }
  return parsed.data;
}

/** The rules alone: what the analysis falls back to when the model's advice is unusable. */
export function classifyByRules(contract: EnvContract): EnvAnalysis {
  return {
    variables: contract.map((v) => ruleFor(v)),
    needsBotToken: contract.some((v) => v.name === BOT_TOKEN_VARIABLE),
  };
}

/**
 * The model's advice, kept only where the rules allow it: a contract `secret` may move between
 * `generate` and `ask` (the model read the code and knows whether a third party issues it), never
 * to `config`; a `config` variable stays configuration; the bot token is always the person's (or
 * the pool's).
 */
export function reconcile(contract: EnvContract, advice: Map<string, VariableClass>): EnvAnalysis {
  const rules = classifyByRules(contract);
  return {
    ...rules,
    variables: rules.variables.map((variable) => {
      const advised = advice.get(variable.name);
      const declared = contract.find((v) => v.name === variable.name);
      if (!advised || !declared || declared.kind === 'config') return variable;
      if (variable.name === BOT_TOKEN_VARIABLE || advised === 'config') return variable;
      return { ...variable, class: advised };
    }),
  };
}

function ruleFor(variable: EnvContract[number]): ClassifiedVariable {
  const base = {
    name: variable.name,
    ...(variable.description ? { description: variable.description } : {}),
  };
  if (variable.kind === 'config')
    return {
      ...base,
      class: 'config',
      ...(variable.default !== undefined ? { default: variable.default } : {}),
    };
  if (variable.name !== BOT_TOKEN_VARIABLE && GENERATED.test(variable.name))
    return { ...base, class: 'generate' };
  return { ...base, class: 'ask' };
}

/** The structured answer the model is asked for (a forced tool call). */
export const CLASSIFY_TOOL = {
  name: 'classify_env',
  description: 'Classify each environment variable of the project for its deploy.',
  inputSchema: {
    type: 'object',
    properties: {
      variables: {
        type: 'array',
        items: {
          type: 'object',
          properties: {
            name: { type: 'string' },
            class: { type: 'string', enum: ['generate', 'ask', 'config'] },
          },
          required: ['name', 'class'],
        },
      },
    },
    required: ['variables'],
  },
} as const;

const adviceSchema = z.object({
  variables: z.array(z.object({ name: z.string(), class: z.enum(['generate', 'ask', 'config']) })).max(200),
});

/** The model's tool input as a map; anything malformed is no advice at all. */
export function parseAdvice(input: unknown): Map<string, VariableClass> {
  const parsed = adviceSchema.safeParse(input);
  if (!parsed.success) return new Map();
  return new Map(parsed.data.variables.map((v) => [v.name, v.class]));
}
