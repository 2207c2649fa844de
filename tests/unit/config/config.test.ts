import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../../lambdas/config/config.ts';
import { SECRET_NAMES } from '../../../lambdas/config/secret-names.ts';
import { loadLocalSettings, localLambdaEnv } from '../../../scripts/local-stack/local-config.ts';

const QUEUE_URL = 'https://sqs.eu-west-1.amazonaws.com/123456789012/updates.fifo';
/** The least a deployed Lambda is given. */
const minimal = { TELEGRAM_BOT_USERNAME: 'orchestrator_bot', QUEUE_URL };

/** The ConfigError a load throws; fails the test if the load succeeds. */
function configErrorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected loadConfig to throw ConfigError');
}

describe('loadConfig defaults', () => {
  it('fills every optional setting with its documented default', () => {
    // Act
    const config = loadConfig(minimal);

    // Assess
    expect(config).toStrictEqual({
      adminIds: new Set(),
      botUsername: 'orchestrator_bot',
      telegramApiRoot: 'https://api.telegram.org',
      secretIds: { botToken: SECRET_NAMES.botToken, webhookSecret: SECRET_NAMES.webhookSecret },
      secrets: { driver: 'aws' },
      queue: { driver: 'sqs', url: QUEUE_URL },
      tableNames: {
        users: 'users',
        sessions: 'sessions',
        dedup: 'dedup',
        projects: 'projects',
        checkpoints: 'checkpoints',
        usage: 'usage',
      },
      maxUpdateBytes: 65_536,
      dedupTtlSeconds: 25 * 3600,
      updateRetry: { maxAttempts: 8, baseDelayMs: 20_000, maxDelayMs: 900_000 },
      secretsCacheSeconds: 300,
      metricsDriver: 'memory',
      pipelines: { driver: 'none' },
      gitHost: { driver: 'none' },
      projectSecretsPrefix: '',
      serverKeysPrefix: 'orchestrator/servers/',
      botPoolSecretsPrefix: 'orchestrator/bot-pool/',
      llm: {
        intent: { provider: 'offline' },
        agent: { provider: 'offline' },
        timeoutMs: 60_000,
        openAiBaseUrl: 'https://api.openai.com/v1',
        openAiKeySecretId: 'orchestrator/llm/openai-api-key',
        prices: expect.objectContaining({ 'offline-deterministic': { inputPerMTok: 0, outputPerMTok: 0 } }),
      },
      agent: { maxIterations: 8, maxTokensPerRequest: 60_000, leaseSeconds: 300 },
      api: { ratePerSecond: 5, burst: 30 },
      usage: { monthlyBudgetUsdPerUser: 20, monthlyBudgetUsdPerProject: 50, budgetRaiseUsd: 5 },
      knowledge: { driver: 'off' },
    });
  });

  it('reads the DLQ URL the consumer dead-letters to itself, and the monthly budget per user', () => {
    // Act
    const config = loadConfig({
      ...minimal,
      DEAD_LETTER_QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letters.fifo',
      USER_MONTHLY_BUDGET_USD: '7.5',
      PROJECT_MONTHLY_BUDGET_USD: '30',
      BUDGET_RAISE_USD: '2',
    });

    // Assess
    expect(config.queue).toEqual({
      driver: 'sqs',
      url: QUEUE_URL,
      deadLetterUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead-letters.fifo',
    });
    expect(config.usage).toEqual({
      monthlyBudgetUsdPerUser: 7.5,
      monthlyBudgetUsdPerProject: 30,
      budgetRaiseUsd: 2,
    });
  });

  it.each([
    ['DEAD_LETTER_QUEUE_URL', 'not a url'],
    ['USER_MONTHLY_BUDGET_USD', '-1'],
    ['PROJECT_MONTHLY_BUDGET_USD', '-1'],
    ['BUDGET_RAISE_USD', '0'],
  ])('refuses %s=%s', (variable, value) => {
    expect(configErrorOf({ ...minimal, [variable]: value }).problems).toEqual([
      expect.stringMatching(new RegExp(`^${variable}: `)),
    ]);
  });

  it.each(['', 'us.', 'eu.', 'apac.'])(
    'prices the default models under the %s prefix CDK picks for the Region',
    (prefix) => {
      const { prices } = loadConfig(minimal).llm;
      expect(prices[`${prefix}anthropic.claude-sonnet-4-20250514-v1:0`]).toMatchObject({
        inputPerMTok: 3,
        outputPerMTok: 15,
      });
      expect(prices[`${prefix}amazon.nova-lite-v1:0`]).toEqual({ inputPerMTok: 0.06, outputPerMTok: 0.24 });
    },
  );

  it.each([
    ['offline', { provider: 'offline' }],
    [
      'bedrock:us.anthropic.claude-sonnet-4-20250514-v1:0',
      { provider: 'bedrock', modelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' },
    ],
    ['openai:llama3.1:8b', { provider: 'openai', modelId: 'llama3.1:8b' }],
  ])('reads the model spec %s', (raw, expected) => {
    // Act
    const config = loadConfig({ ...minimal, LLM_AGENT_MODEL: raw });

    // Assess
    expect(config.llm.agent).toEqual(expected);
  });

  it.each([
    ['LLM_AGENT_MODEL', 'gpt-4', 'must be offline, bedrock:<model id> or openai:<model>'],
    ['LLM_PRICES', '{not json', 'must be JSON'],
    ['LLM_PRICES', '{"m": {"inputPerMTok": -1, "outputPerMTok": 1}}', 'LLM_PRICES'],
    ['FAULT_INJECTION', 'whenever', 'crash point'],
  ])('rejects %s=%s, saying why', (name, value, why) => {
    // Act
    const attempt = () => loadConfig({ ...minimal, [name]: value });

    // Assess
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(why);
  });

  it('reads numbers from their string form', () => {
    // Act
    const config = loadConfig({
      ...minimal,
      MAX_UPDATE_BYTES: '2048',
      DEDUP_TTL_HOURS: '48',
      SECRETS_CACHE_SECONDS: '0',
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:8000',
    });

    // Assess
    expect(config.maxUpdateBytes).toBe(2048);
    expect(config.dedupTtlSeconds).toBe(48 * 3600);
    expect(config.secretsCacheSeconds).toBe(0);
    expect(config.dynamoEndpoint).toBe('http://127.0.0.1:8000');
  });
});

describe('ADMIN_TELEGRAM_IDS', () => {
  it.each([
    { raw: '', expected: [] },
    { raw: ' , ,', expected: [] },
    { raw: '1001', expected: [1001] },
    { raw: '1001,2002', expected: [1001, 2002] },
    { raw: ' 1001 , 2002 ,', expected: [1001, 2002] },
    { raw: '1001,1001', expected: [1001] },
  ])('parses "$raw" as $expected', ({ raw, expected }) => {
    // Act
    const config = loadConfig({ ...minimal, ADMIN_TELEGRAM_IDS: raw });

    // Assess
    expect([...config.adminIds].sort()).toEqual(expected);
  });

  it.each(['1001,abc', '@alice', '-5', '1.5', '1e3', '1234567890123456'])(
    'rejects "%s", naming the variable and the bad entry',
    (raw) => {
      // Act
      const error = configErrorOf({ ...minimal, ADMIN_TELEGRAM_IDS: raw });

      // Assess
      expect(error.problems).toHaveLength(1);
      expect(error.problems[0]).toMatch(/^ADMIN_TELEGRAM_IDS: ".*" is not a numeric Telegram user id$/);
      expect(error.message).toContain('ADMIN_TELEGRAM_IDS');
    },
  );

  it('names the entry that is wrong, not the whole list', () => {
    // Act
    const error = configErrorOf({ ...minimal, ADMIN_TELEGRAM_IDS: '1001, bob ,2002' });

    // Assess
    expect(error.problems).toEqual(['ADMIN_TELEGRAM_IDS: "bob" is not a numeric Telegram user id']);
  });
});

describe('drivers', () => {
  it('requires QUEUE_URL for the sqs queue driver, the default', () => {
    // Act
    const error = configErrorOf({ TELEGRAM_BOT_USERNAME: 'orchestrator_bot' });

    // Assess
    expect(error.problems).toEqual(['QUEUE_URL: is required when QUEUE_DRIVER=sqs']);
  });

  it('rejects a QUEUE_URL that is not a URL', () => {
    // Act
    const error = configErrorOf({ ...minimal, QUEUE_URL: 'updates.fifo' });

    // Assess
    expect(error.problems.some((p) => p.startsWith('QUEUE_URL:'))).toBe(true);
  });

  it.each([
    { env: { QUEUE_DRIVER: 'local-file' }, variable: 'LOCAL_QUEUE_DIR', driver: 'QUEUE_DRIVER=local-file' },
    {
      env: { SECRETS_DRIVER: 'local-file' },
      variable: 'LOCAL_SECRETS_DIR',
      driver: 'SECRETS_DRIVER=local-file',
    },
  ])('requires $variable for $driver', ({ env, variable, driver }) => {
    // Act
    const error = configErrorOf({ ...minimal, ...env });

    // Assess
    expect(error.problems).toEqual([`${variable}: is required when ${driver}`]);
  });

  it('builds local-file drivers with the queue timings in milliseconds', () => {
    // Act
    const config = loadConfig({
      TELEGRAM_BOT_USERNAME: 'orchestrator_bot',
      QUEUE_DRIVER: 'local-file',
      LOCAL_QUEUE_DIR: '/tmp/q',
      LOCAL_QUEUE_VISIBILITY_SECONDS: '30',
      LOCAL_QUEUE_MAX_RECEIVES: '2',
      SECRETS_DRIVER: 'local-file',
      LOCAL_SECRETS_DIR: '/tmp/s',
    });

    // Assess
    expect(config.queue).toEqual({
      driver: 'local-file',
      dir: '/tmp/q',
      visibilityTimeoutMs: 30_000,
      maxReceiveCount: 2,
    });
    expect(config.secrets).toEqual({ driver: 'local-file', dir: '/tmp/s' });
  });

  it.each([{ QUEUE_DRIVER: 'kafka' }, { SECRETS_DRIVER: 'vault' }])(
    'rejects the unknown driver in %o',
    (env) => {
      // Act
      const error = configErrorOf({ ...minimal, ...env });

      // Assess
      expect(error.problems.join('\n')).toContain(Object.keys(env)[0]);
    },
  );
});

describe('TELEGRAM_BOT_USERNAME', () => {
  it.each([
    { raw: '@orchestrator_bot', why: 'a leading @' },
    { raw: 'bot', why: 'fewer than 5 characters' },
    { raw: '1orchestrator', why: 'a leading digit' },
    { raw: 'orchestrator-bot', why: 'a dash' },
    { raw: `b${'o'.repeat(32)}`, why: 'more than 32 characters' },
    { raw: '', why: 'nothing' },
  ])('rejects a name with $why', ({ raw }) => {
    // Act
    const error = configErrorOf({ ...minimal, TELEGRAM_BOT_USERNAME: raw });

    // Assess
    expect(error.problems).toEqual([
      'TELEGRAM_BOT_USERNAME: must be the bot username without @ (5-32 letters, digits, _)',
    ]);
  });

  it('is required', () => {
    // Act
    const error = configErrorOf({ QUEUE_URL });

    // Assess
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^TELEGRAM_BOT_USERNAME: /);
  });

  it.each(['abcde', `a${'b'.repeat(31)}`, 'My_Bot_2'])('accepts "%s"', (raw) => {
    // Act
    const config = loadConfig({ ...minimal, TELEGRAM_BOT_USERNAME: raw });

    // Assess
    expect(config.botUsername).toBe(raw);
  });
});

describe('DEDUP_TTL_HOURS', () => {
  it.each(['24', '24.9', '0', '-1'])('rejects %s: Telegram retries for up to 24 h', (raw) => {
    // Act
    const error = configErrorOf({ ...minimal, DEDUP_TTL_HOURS: raw });

    // Assess
    expect(error.problems).toEqual(['DEDUP_TTL_HOURS: Telegram retries for 24 h: keep at least 25']);
  });

  it.each([
    { raw: '25', seconds: 90_000 },
    { raw: '25.5', seconds: 91_800 },
    { raw: '72', seconds: 259_200 },
  ])('accepts $raw hours as $seconds seconds', ({ raw, seconds }) => {
    // Act
    const config = loadConfig({ ...minimal, DEDUP_TTL_HOURS: raw });

    // Assess
    expect(config.dedupTtlSeconds).toBe(seconds);
  });
});

describe('table names', () => {
  it('prefixes every logical name with TABLE_PREFIX', () => {
    // Act
    const config = loadConfig({ ...minimal, TABLE_PREFIX: 'dev-' });

    // Assess
    expect(Object.values(config.tableNames)).toEqual([
      'dev-users',
      'dev-sessions',
      'dev-dedup',
      'dev-projects',
      'dev-checkpoints',
      'dev-usage',
    ]);
  });

  it('takes a *_TABLE variable as the exact physical name, ignoring the prefix for that table only', () => {
    // Act
    const config = loadConfig({
      ...minimal,
      TABLE_PREFIX: 'dev-',
      USERS_TABLE: 'Orchestrator-UsersTable1A2B3C',
      USAGE_TABLE: 'Orchestrator-UsageTable9Z8Y',
    });

    // Assess
    expect(config.tableNames).toEqual({
      users: 'Orchestrator-UsersTable1A2B3C',
      sessions: 'dev-sessions',
      dedup: 'dev-dedup',
      projects: 'dev-projects',
      checkpoints: 'dev-checkpoints',
      usage: 'Orchestrator-UsageTable9Z8Y',
    });
  });

  it('rejects a *_TABLE value too short to be a table name', () => {
    // Act
    const error = configErrorOf({ ...minimal, SESSIONS_TABLE: 'ab' });

    // Assess
    expect(error.problems).toEqual(['SESSIONS_TABLE: must be a DynamoDB table name']);
  });
});

describe('ConfigError', () => {
  it('lists every problem on its own line in the message', () => {
    // Act
    const error = configErrorOf({ TELEGRAM_BOT_USERNAME: '@x', MAX_UPDATE_BYTES: '10' });

    // Assess
    expect(error.name).toBe('ConfigError');
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'MAX_UPDATE_BYTES',
      'QUEUE_URL',
      'TELEGRAM_BOT_USERNAME',
    ]);
    for (const problem of error.problems) expect(error.message).toContain(`\n  - ${problem}`);
  });

  it('names every wrong variable at once, even when ADMIN_TELEGRAM_IDS is one of them', () => {
    // Act
    const error = configErrorOf({
      TELEGRAM_BOT_USERNAME: 'orchestrator_bot',
      ADMIN_TELEGRAM_IDS: 'alice',
      QUEUE_DRIVER: 'local-file',
    });

    // Assess: loadConfig promises to name every wrong variable, so the operator fixes all in one go.
    expect(error.problems.map((p) => p.split(':')[0]).sort()).toEqual([
      'ADMIN_TELEGRAM_IDS',
      'LOCAL_QUEUE_DIR',
    ]);
  });
});

describe('loadLocalSettings', () => {
  it('works with no configuration at all', () => {
    // Act
    const settings = loadLocalSettings({});

    // Assess
    expect(settings).toEqual({
      dataDir: resolve('.local/data'),
      httpPort: 3000,
      sfnPort: 3001,
      telegramPort: 0,
      chatUserId: 1001,
      chatUserName: 'Local Admin',
    });
  });

  it.each([
    { env: { LOCAL_HTTP_PORT: 'abc' }, variable: 'LOCAL_HTTP_PORT' },
    { env: { LOCAL_HTTP_PORT: '70000' }, variable: 'LOCAL_HTTP_PORT' },
    { env: { LOCAL_TELEGRAM_PORT: '-1' }, variable: 'LOCAL_TELEGRAM_PORT' },
    { env: { LOCAL_CHAT_USER_ID: '0' }, variable: 'LOCAL_CHAT_USER_ID' },
    { env: { LOCAL_CHAT_USER_ID: '12.5' }, variable: 'LOCAL_CHAT_USER_ID' },
    { env: { LOCAL_CHAT_USER_NAME: 'x'.repeat(65) }, variable: 'LOCAL_CHAT_USER_NAME' },
    { env: { LOCAL_DATA_DIR: '' }, variable: 'LOCAL_DATA_DIR' },
  ])('throws a ConfigError naming $variable for $env', ({ env, variable }) => {
    // Act
    const loading = () => loadLocalSettings(env);

    // Assess
    expect(loading).toThrow(ConfigError);
    try {
      loading();
    } catch (error) {
      expect((error as ConfigError).problems).toHaveLength(1);
      expect((error as ConfigError).problems[0]).toMatch(new RegExp(`^${variable}: `));
    }
  });

  it('resolves LOCAL_DATA_DIR to an absolute path', () => {
    // Act
    const settings = loadLocalSettings({ LOCAL_DATA_DIR: 'some/where', LOCAL_HTTP_PORT: '8080' });

    // Assess
    expect(settings.dataDir).toBe(resolve('some/where'));
    expect(settings.httpPort).toBe(8080);
  });
});

describe('localLambdaEnv', () => {
  const wiring = {
    dataDir: '/data',
    dynamoEndpoint: 'http://127.0.0.1:4567',
    telegramApiRoot: 'http://127.0.0.1:9001',
    chatUserId: 1001,
  };

  it('makes the terminal user the admin when the operator set no admins', () => {
    // Act
    const env = localLambdaEnv({}, wiring);

    // Assess
    expect(env.ADMIN_TELEGRAM_IDS).toBe('1001');
    expect(env.TELEGRAM_BOT_USERNAME).toBe('local_orchestrator_bot');
    expect(env.TABLE_PREFIX).toBe('local-');
  });

  it("keeps an operator's ADMIN_TELEGRAM_IDS, bot username and table prefix", () => {
    // Act
    const env = localLambdaEnv(
      { ADMIN_TELEGRAM_IDS: '42,43', TELEGRAM_BOT_USERNAME: 'my_dev_bot', TABLE_PREFIX: 'mine-' },
      wiring,
    );

    // Assess
    expect(env.ADMIN_TELEGRAM_IDS).toBe('42,43');
    expect(env.TELEGRAM_BOT_USERNAME).toBe('my_dev_bot');
    expect(env.TABLE_PREFIX).toBe('mine-');
  });

  it('forces the local adapters and loopback endpoints over whatever the operator set', () => {
    // Prepare
    const deployedLooking = {
      SECRETS_DRIVER: 'aws',
      QUEUE_DRIVER: 'sqs',
      QUEUE_URL,
      LOCAL_SECRETS_DIR: '/elsewhere/secrets',
      LOCAL_QUEUE_DIR: '/elsewhere/queue',
      DYNAMODB_ENDPOINT: 'https://dynamodb.eu-west-1.amazonaws.com',
      TELEGRAM_API_ROOT: 'https://api.telegram.org',
    };

    // Act
    const env = localLambdaEnv(deployedLooking, wiring);

    // Assess
    expect(env).toMatchObject({
      SECRETS_DRIVER: 'local-file',
      LOCAL_SECRETS_DIR: resolve('/data', 'secrets'),
      QUEUE_DRIVER: 'local-file',
      LOCAL_QUEUE_DIR: resolve('/data', 'queue'),
      DYNAMODB_ENDPOINT: 'http://127.0.0.1:4567',
      TELEGRAM_API_ROOT: 'http://127.0.0.1:9001',
    });
  });

  it('produces an environment that loadConfig accepts, with local drivers', () => {
    // Act
    const config = loadConfig(localLambdaEnv({ ADMIN_TELEGRAM_IDS: '7' }, wiring));

    // Assess
    expect([...config.adminIds]).toEqual([7]);
    expect(config.queue.driver).toBe('local-file');
    expect(config.secrets.driver).toBe('local-file');
    expect(config.dynamoEndpoint).toBe('http://127.0.0.1:4567');
    expect(config.tableNames.users).toBe('local-users');
  });
});

describe('loadConfig: pipelines and the git host', () => {
  const base = {
    TELEGRAM_BOT_USERNAME: 'orchestrator_bot',
    QUEUE_URL: 'https://sqs.eu-west-1.amazonaws.com/1/q.fifo',
  };

  it('reads the Step Functions driver with its state machine', () => {
    // Act
    const config = loadConfig({
      ...base,
      PIPELINES_DRIVER: 'sfn',
      ENGINEERING_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:engineering',
    });

    // Assess
    expect(config.pipelines).toEqual({
      driver: 'sfn',
      stateMachineArns: { engineering: 'arn:aws:states:eu-west-1:123456789012:stateMachine:engineering' },
    });
  });

  it('reads the devops state machine alone, as the deployer broker gets it', () => {
    // Act
    const config = loadConfig({
      ...base,
      PIPELINES_DRIVER: 'sfn',
      DEVOPS_STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:devops',
    });

    // Assess
    expect(config.pipelines).toEqual({
      driver: 'sfn',
      stateMachineArns: { devops: 'arn:aws:states:eu-west-1:123456789012:stateMachine:devops' },
    });
  });

  it('refuses a devops state machine ARN that is not one', () => {
    // Act
    const loading = () =>
      loadConfig({ ...base, PIPELINES_DRIVER: 'sfn', DEVOPS_STATE_MACHINE_ARN: 'devops' });

    // Assess
    expect(loading).toThrow(/DEVOPS_STATE_MACHINE_ARN: must be a state machine ARN/);
  });

  it('names every missing GitHub App setting, and the missing state machine, at once', () => {
    // Act
    const loading = () =>
      loadConfig({ ...base, PIPELINES_DRIVER: 'sfn', GIT_HOST_DRIVER: 'github', GITHUB_ORG: 'acme' });

    // Assess
    expect(loading).toThrow(
      /ENGINEERING_STATE_MACHINE_ARN[\s\S]*GITHUB_APP_ID[\s\S]*GITHUB_INSTALLATION_ID[\s\S]*GITHUB_APP_KEY_SECRET_ID/,
    );
  });
});

describe('Project knowledge configuration', () => {
  it('reads the AWS buckets and the keyword prefix', () => {
    // Act
    const config = loadConfig({
      ...minimal,
      KNOWLEDGE_DRIVER: 'aws',
      KNOWLEDGE_VECTOR_BUCKET: 'orch-knowledge-vectors',
      KNOWLEDGE_BUCKET: 'orch-knowledge-keywords',
    });

    // Assess
    expect(config.knowledge).toEqual({
      driver: 'aws',
      vectorBucketName: 'orch-knowledge-vectors',
      bucket: 'orch-knowledge-keywords',
      prefix: 'knowledge/',
    });
  });

  it('names both missing buckets for aws and the missing directory for local', () => {
    // Act
    const aws = configErrorOf({ ...minimal, KNOWLEDGE_DRIVER: 'aws' });
    const local = configErrorOf({ ...minimal, KNOWLEDGE_DRIVER: 'local' });

    // Assess
    expect(aws.problems).toEqual([
      'KNOWLEDGE_VECTOR_BUCKET: is required when KNOWLEDGE_DRIVER=aws',
      'KNOWLEDGE_BUCKET: is required when KNOWLEDGE_DRIVER=aws',
    ]);
    expect(local.problems).toEqual(['LOCAL_KNOWLEDGE_DIR: is required when KNOWLEDGE_DRIVER=local']);
  });

  it('is local under the data dir on the local stack unless the operator turns it off', () => {
    // Prepare
    const wiring = {
      dataDir: '/data',
      dynamoEndpoint: 'http://127.0.0.1:4567',
      telegramApiRoot: 'http://127.0.0.1:9001',
      chatUserId: 1001,
    };

    // Act
    const byDefault = loadConfig(localLambdaEnv({}, wiring));
    const off = loadConfig(localLambdaEnv({ KNOWLEDGE_DRIVER: 'off' }, wiring));

    // Assess
    expect(byDefault.knowledge).toEqual({ driver: 'local', dir: resolve('/data', 'knowledge') });
    expect(off.knowledge).toEqual({ driver: 'off' });
  });
});
