import * as z from 'zod';

/**
 * The admin API's response shapes, as zod schemas: the OpenAPI document's components come from
 * these, and the integration tests parse every answer with them. Fields are plain JSON; times are
 * ISO 8601 strings; money is micro-dollars (integers).
 */
const project = z.object({
  id: z.string(),
  name: z.string(),
  ownerId: z.number().int(),
  status: z.enum(['draft', 'engineering', 'ready', 'deploying', 'deployed', 'failed']),
  description: z.string(),
  secretKeys: z.array(z.string()).describe('Names only, never values'),
  repository: z.object({ fullName: z.string(), htmlUrl: z.string() }).optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
});

const run = z.object({
  runName: z
    .string()
    .describe('The run id of this API, e.g. eng-quote-bot-1a2b3c-1 or dep-quote-bot-1a2b3c-1'),
  runId: z.string().describe('The Step Functions execution ARN (an opaque id locally)'),
  pipeline: z.enum(['engineering', 'devops']),
  projectId: z.string(),
  projectName: z.string().optional(),
  ownerId: z.number().int(),
  number: z.number().int(),
  status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED']),
  startedAt: z.string(),
  stoppedAt: z.string().optional(),
  step: z.string().optional().describe('The state it is in, or ended in'),
  waitingFor: z.enum(['decision', 'secret']).optional(),
  attempts: z.number().int().optional(),
  commit: z.string().optional(),
  htmlUrl: z.string().optional(),
  url: z.string().optional().describe('Devops: where the service answers'),
  outcome: z
    .string()
    .optional()
    .describe(
      'How it ended when that is not plain success: failed, given_up, rolled_back (succeeded otherwise)',
    ),
  error: z.string().optional(),
  cause: z.string().optional(),
});

const historyEvent = z.object({
  id: z.number().int(),
  previousEventId: z.number().int().optional(),
  type: z.string().describe('As Step Functions names it: TaskStateEntered, ExecutionSucceeded, ...'),
  timestamp: z.string(),
  stateName: z.string().optional(),
  input: z.string().optional(),
  output: z.string().optional(),
  error: z.string().optional(),
  cause: z.string().optional(),
});

const apiKey = z.object({
  id: z.string(),
  ownerId: z.number().int(),
  name: z.string(),
  createdAt: z.string(),
  createdBy: z.number().int(),
  rotatedAt: z.string().optional(),
  revokedAt: z.string().optional(),
});

const totals = z.object({
  calls: z.number().int(),
  inputTokens: z.number().int(),
  outputTokens: z.number().int(),
  cacheReadTokens: z.number().int(),
  cacheWriteTokens: z.number().int(),
  costMicros: z.number().int(),
  unpricedCalls: z.number().int(),
});

export const API_SCHEMAS = {
  Me: z.object({ userId: z.number().int(), role: z.enum(['admin', 'user']), keyId: z.string() }),
  UserList: z.object({
    users: z.array(
      z.object({
        userId: z.number().int(),
        displayName: z.string().optional(),
        admittedBy: z.number().int(),
        admittedAt: z.string(),
      }),
    ),
  }),
  Project: z.object({ project }),
  ProjectList: z.object({ projects: z.array(project) }),
  ProjectStatus: z.object({
    project,
    build: run.optional().describe('The latest engineering run'),
    deploy: run.optional().describe('The latest deploy'),
    allocation: z
      .object({
        serverId: z.string(),
        host: z.string(),
        port: z.number().int(),
        botUsername: z.string().optional(),
      })
      .optional(),
  }),
  SecretNames: z.object({ projectId: z.string(), secrets: z.array(z.string()) }),
  Run: z.object({ run }),
  RunList: z.object({ runs: z.array(run) }),
  RunDetail: z.object({ run, events: z.array(historyEvent) }),
  Decision: z.object({
    runName: z.string(),
    decision: z.enum(['try_again', 'give_up']),
    outcome: z.literal('accepted'),
  }),
  ServerList: z.object({
    servers: z.array(
      z.object({
        id: z.string(),
        host: z.string(),
        sshUser: z.string(),
        sshPort: z.number().int(),
        kind: z.enum(['ssh', 'local']),
        baseDir: z.string(),
        portRange: z.object({ from: z.number().int(), to: z.number().int() }),
        projects: z.number().int(),
      }),
    ),
  }),
  BotPool: z.object({
    bots: z.array(z.object({ id: z.string(), username: z.string(), projectId: z.string().optional() })),
  }),
  Usage: z.object({ scope: z.enum(['mine', 'all']), period: z.enum(['month', 'all']), totals }),
  KeyList: z.object({ keys: z.array(apiKey) }),
  Key: z.object({ key: apiKey }),
  IssuedKey: z.object({
    key: apiKey,
    secret: z.string().describe('The whole key, shown this once: only its hash is stored'),
  }),
} as const;

export type ApiSchemaName = keyof typeof API_SCHEMAS;
export type ApiShape<N extends ApiSchemaName> = z.output<(typeof API_SCHEMAS)[N]>;
