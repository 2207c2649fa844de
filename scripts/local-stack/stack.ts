import { mkdir } from 'node:fs/promises';
import { Api } from 'grammy';
import { LocalScheduler as LocalReminderScheduler } from '../../lambdas/adapters/local/local-scheduler.ts';
import type { MemoryTelemetry } from '../../lambdas/adapters/local/memory-telemetry.ts';
import { TelegramChat } from '../../lambdas/adapters/telegram/telegram-chat.ts';
import { buildAdminApi } from '../../lambdas/app/admin-api-wiring.ts';
import { buildOperationsJobs } from '../../lambdas/app/operations-jobs.ts';
import { buildServiceRecovery } from '../../lambdas/app/service-recovery-wiring.ts';
import { type Config, loadConfig } from '../../lambdas/config/config.ts';
import { createQueueConsumerHandler } from '../../lambdas/handlers/queue-consumer.ts';
import { createWebhookHandler } from '../../lambdas/handlers/webhook.ts';
import { buildInspectorAssets } from '../../lambdas/inspector/inspector-assets.ts';
import { PIPELINE_DEFINITIONS } from '../../lambdas/inspector/pipeline-definitions.ts';
import { pipelineGraphs } from '../../lambdas/inspector/pipeline-graphs.ts';
import { createRunInspector } from '../../lambdas/inspector/run-inspector.ts';
import { buildAdapters } from '../../lambdas/runtime/build-adapters.ts';
import { assembleRuntime, type Runtime } from '../../lambdas/runtime/runtime.ts';
import { createLogger } from '../../lambdas/shared/logger.ts';
import { ensureTables, startDynalite } from './dynalite-server.ts';
import { type LocalEngineering, startLocalEngineering } from './engineering.ts';
import { startHttpApi } from './http-api.ts';
import { freePort } from './http-util.ts';
import { inspectorMount } from './inspector-mount.ts';
import { ensureLocalApiKey } from './local-api-key.ts';
import { localLambdaEnv } from './local-config.ts';
import { type LocalScheduler, startLocalScheduler } from './local-scheduler.ts';
import { ensureLocalSecrets } from './local-secrets.ts';
import { startQueuePoller } from './queue-poller.ts';
import { type RunningEmulator, startEmulator } from './telegram-emulator.ts';
import { startWebhookRelay } from './webhook-relay.ts';

export const WEBHOOK_ROUTE = 'POST /telegram/webhook';
/** The admin API's mount point on the local HTTP server (its own domain when deployed). */
export const API_BASE_PATH = '/api';

export interface LocalStackOptions {
  dataDir: string;
  httpPort?: number;
  telegramPort?: number;
  /** The local Step Functions API (0: any free port). */
  sfnPort?: number;
  chatUserId?: number;
  /** Environment for the Lambdas (defaults to process.env); local wiring overrides adapters. */
  env?: NodeJS.ProcessEnv;
  log?: (line: string) => void;
}

export interface LocalStack {
  config: Config;
  runtime: Runtime;
  engineering: LocalEngineering;
  /** The scheduled jobs (repository sync, health checks) on their schedules. */
  scheduler: LocalScheduler;
  emulator: RunningEmulator;
  webhookUrl: string;
  /** The run inspector page (graph and history of the pipeline runs). */
  inspectorUrl: string;
  /** The admin API's base URL (`<http>/api`). */
  apiUrl: string;
  /** The 0600 file holding the local admin's API key (absent without an admin). */
  apiKeyFile?: string;
  botToken: string;
  webhookSecret: string;
  /** Waits until every update the emulator handed over has reached the webhook. */
  drainDeliveries(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Starts the whole product on one machine: dynalite, the Bot API emulator and its webhook relay,
 * the HTTP API in front of the webhook handler, and the queue poller in front of the consumer.
 * Everything persists under `dataDir`, so a restart loses nothing.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const log = options.log ?? (() => undefined);
  useLocalAwsEnvironment();
  const stops: Array<() => Promise<void>> = [];
  const stopAll = async () => {
    for (const stop of stops.reverse()) await stop().catch((error) => log(`stop failed: ${String(error)}`));
  };
  try {
    await mkdir(options.dataDir, { recursive: true, mode: 0o700 });
    const dynamo = await startDynalite(`${options.dataDir}/dynamodb`);
    stops.push(dynamo.stop);
    const emulator = await startEmulator(
      `${options.dataDir}/telegram`,
      options.telegramPort || (await freePort()),
    );
    stops.push(emulator.stop);

    const env = localLambdaEnv(options.env ?? process.env, {
      dataDir: options.dataDir,
      dynamoEndpoint: dynamo.endpoint,
      telegramApiRoot: emulator.apiRoot,
      chatUserId: options.chatUserId ?? 1001,
    });
    const config = loadConfig(env);
    const runtime = assembleRuntime(
      config,
      await buildAdapters(config, 'local-stack'),
      createLogger('local-stack'),
    );
    // Closed after the poller and the API have stopped (stops run in reverse order).
    stops.push(async () => {
      const closer = (runtime.queue as { close?: () => Promise<void> | void }).close;
      await closer?.call(runtime.queue);
    });
    await ensureTables(dynamo.endpoint, config.tableNames);
    await ensureLocalSecrets(runtime.secrets, config);
    const botToken = await runtime.secrets.get(config.secretIds.botToken);
    const webhookSecret = await runtime.secrets.get(config.secretIds.webhookSecret);

    // The engineering pipeline: its runner, steps, workers and git host. Stopped after the poller
    // (stops run in reverse), so no message starts a run into a closed runner.
    const engineering = await startLocalEngineering({
      dataDir: options.dataDir,
      runtime,
      botToken,
      sfnPort: options.sfnPort ?? 0,
      workerEnv: workerEnvFrom(options.env ?? process.env),
      ...heartbeatLimit(options.env ?? process.env),
      ...localServerPorts(options.env ?? process.env),
      log,
    });
    stops.push(engineering.stop);
    runtime.pipelines = engineering.pipelines;
    runtime.gitHost = engineering.gitHost;
    const reminderSchedules = new LocalReminderScheduler(
      `${options.dataDir}/scheduler/schedules.json`,
      runtime.queue,
      log,
    );
    runtime.scheduler = reminderSchedules;

    const adminApi = buildAdminApi(runtime, {
      basePath: API_BASE_PATH,
      pollMs: 250,
      // The run inspector's key-checked data routes, as deployed (the Lambda reads these from its bundle).
      pipelineGraphs: async () => pipelineGraphs(),
    });
    const api = await startHttpApi(
      { [WEBHOOK_ROUTE]: createWebhookHandler(() => runtime) },
      options.httpPort ?? 0,
      { '/metrics': () => (runtime.telemetry as Partial<MemoryTelemetry>).snapshot?.() ?? {} },
      {
        [API_BASE_PATH]: (event, signal) => adminApi.handle(event, { streaming: true, signal }),
        '/inspector': inspectorMount(
          createRunInspector({
            pipelines: engineering.pipelines,
            definitions: PIPELINE_DEFINITIONS,
            assets: await buildInspectorAssets(),
          }),
        ),
      },
    );
    stops.push(api.stop);
    const webhookUrl = `${api.url}/telegram/webhook`;
    const apiUrl = `${api.url}${API_BASE_PATH}`;
    const apiKeyFile = await ensureLocalApiKey(options.dataDir, runtime, apiUrl);

    // This process owns the data dir alone (dynalite holds its lock): what the last one had in
    // flight when it died is nobody's now. Without this a kill -9 mid-turn held the chat's group,
    // the pipeline's "built" news included, for the whole visibility timeout (6 minutes).
    const release = (runtime.queue as { releaseInFlight?: () => Promise<number> }).releaseInFlight;
    const released = (await release?.call(runtime.queue)) ?? 0;
    if (released > 0) log(`took back ${released} message(s) a stopped process had in flight`);
    const poller = startQueuePoller({
      queue: runtime.queue,
      handler: createQueueConsumerHandler(() => runtime),
      onError: (error) => log(`consumer batch failed: ${String(error)}`),
    });
    stops.push(poller.stop);
    // EventBridge Scheduler's stand-in; stopped before the poller and the runner (reverse order).
    const scheduler = startLocalScheduler({
      jobs: buildOperationsJobs(runtime, {
        gitHost: engineering.gitHost,
        recovery: buildServiceRecovery({
          store: runtime.store,
          pipelines: engineering.pipelines,
          chat: new TelegramChat(new Api(botToken, { apiRoot: emulator.apiRoot })),
        }),
      }),
      expressions: jobSchedulesFrom(options.env ?? process.env),
      log,
    });
    stops.push(scheduler.stop);
    // Reminders: EventBridge Scheduler's stand-in, its pending schedules on disk; the ones due
    // while the stack was stopped fire now. Closed before the poller stops.
    reminderSchedules.start();
    stops.push(async () => reminderSchedules.close());
    // Runs a previous process left unfinished go on from their journal, no finished step again.
    const resumed = await engineering.pipelines.resumeInterrupted();
    if (resumed.length > 0) log(`resumed ${resumed.length} interrupted pipeline run(s)`);

    const relay = await startWebhookRelay({
      target: webhookUrl,
      secretToken: webhookSecret,
      onGiveUp: (_body, status) => log(`webhook delivery given up (${status})`),
    });
    // Stopped before the API (stops run in reverse) so queued deliveries still land.
    stops.push(relay.stop);
    // Registered the way an operator registers the deployed webhook with Telegram.
    await new Api(botToken, { apiRoot: emulator.apiRoot }).setWebhook(relay.url, {
      secret_token: webhookSecret,
    });

    return {
      config,
      runtime,
      engineering,
      scheduler,
      emulator,
      webhookUrl,
      inspectorUrl: `${api.url}/inspector/`,
      apiUrl,
      ...(apiKeyFile ? { apiKeyFile } : {}),
      botToken,
      webhookSecret,
      drainDeliveries: async () => {
        await emulator.idle();
        await relay.drain();
      },
      stop: stopAll,
    };
  } catch (error) {
    await stopAll();
    throw error;
  }
}

/**
 * The SDK clients talk to loopback stand-ins here: they still want a region and credentials, and
 * must never pick up real ones from the machine. Node 20 is supported locally, so the SDK's
 * warning about its future Node 22 minimum is noise in the terminal.
 */
function useLocalAwsEnvironment(): void {
  process.env.AWS_REGION ??= 'us-east-1';
  process.env.AWS_ACCESS_KEY_ID = 'local';
  process.env.AWS_SECRET_ACCESS_KEY = 'local';
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
}

/** What the worker processes may take from the environment: the engine and its settings, no more. */
function workerEnvFrom(env: NodeJS.ProcessEnv): Record<string, string> {
  const names = [
    'CODING_ENGINE',
    'SCRIPTED_ENGINE_FAIL_ATTEMPTS',
    'SCRIPTED_ENGINE_HANG',
    'SCRIPTED_ENGINE_BROKEN_START_BRANCH',
    'SCRIPTED_ENGINE_STATE_FAULT_BRANCH',
    'SCRIPTED_ENGINE_TOKENS',
    'HEARTBEAT_SECONDS',
    'CLAUDE_CODE_BIN',
    'CLAUDE_CODE_DIR',
    'CLAUDE_CODE_MODEL',
    'CLAUDE_CODE_MAX_BUDGET_USD',
    'CLAUDE_CODE_USE_BEDROCK',
    'ANTHROPIC_BASE_URL',
    'ANTHROPIC_API_KEY',
    'AWS_REGION',
    'LLM_PRICES',
  ];
  return Object.fromEntries(names.flatMap((name) => (env[name] ? [[name, env[name] as string]] : [])));
}

function heartbeatLimit(env: NodeJS.ProcessEnv): {
  heartbeatLimitSeconds?: number;
  humanWaitLimitSeconds?: number;
} {
  const value = Number(env.LOCAL_HEARTBEAT_LIMIT_SECONDS);
  const human = Number(env.LOCAL_HUMAN_WAIT_LIMIT_SECONDS);
  return {
    ...(Number.isInteger(value) && value > 0 ? { heartbeatLimitSeconds: value } : {}),
    ...(Number.isInteger(human) && human > 0 ? { humanWaitLimitSeconds: human } : {}),
  };
}

/**
 * LOCAL_SERVER_PORTS ("from-to"): where the local server puts deployed apps. Two stacks on one
 * machine (tests running side by side) need ranges of their own: the smoke test of one would
 * otherwise find the other's app answering on the same port.
 */
function localServerPorts(env: NodeJS.ProcessEnv): { serverPorts?: { from: number; to: number } } {
  const match = /^(\d{4,5})-(\d{4,5})$/.exec(env.LOCAL_SERVER_PORTS ?? '');
  if (!match) {
    if (env.LOCAL_SERVER_PORTS) throw new Error('LOCAL_SERVER_PORTS must look like 20000-20999');
    return {};
  }
  const [from, to] = [Number(match[1]), Number(match[2])];
  if (from < 1024 || to > 65_535 || from > to)
    throw new Error('LOCAL_SERVER_PORTS must be a range within 1024-65535, low to high');
  return { serverPorts: { from, to } };
}

/** LOCAL_JOB_SCHEDULES: a JSON map of job name to schedule expression (tests use short rates). */
function jobSchedulesFrom(env: NodeJS.ProcessEnv): Record<string, string> | undefined {
  return env.LOCAL_JOB_SCHEDULES
    ? (JSON.parse(env.LOCAL_JOB_SCHEDULES) as Record<string, string>)
    : undefined;
}
