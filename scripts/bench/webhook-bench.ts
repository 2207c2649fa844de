/**
 * `npm run bench`: our Telegram webhook Lambda against a BASELINE (bare grammY webhookCallback +
 * one PutItem, scripts/bench/baseline-webhook.ts), both bundled with the CDK construct's esbuild
 * settings and measured on this machine in the same run:
 *   1. bundle size;
 *   2. cold start in fresh `node` processes: ms from process start to `import()` resolved, and to
 *      the first response (ours builds its app lazily on that request: config, secrets, bot);
 *   3. warm in-process latency over sequential invocations against one in-memory dynalite;
 *   4. ratios ours/baseline next to the targets (PASS/MISS; the exit code ignores them).
 * plus where the difference comes from: HTTP calls per update and time waiting on them, a V8 CPU
 * profile attributed to packages through the source map, and the bundle's largest inputs.
 * Results go to .bench/webhook-bench.json. It is a benchmark, not a test: it fails only when a
 * handler does not answer 200 or the work it did is not what the bench assumes.
 * Knobs: BENCH_WARM_N (timed invocations, >= 1000), BENCH_COLD_RUNS (>= 10), BENCH_PROFILE_N (0 = skip).
 * Bundle-size what-ifs (no source edited): `npx tsx scripts/bench/bundle-what-if.ts`.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { EncryptedFileSecretStore } from '../../lambdas/adapters/local/encrypted-file-secrets.ts';
import { SECRET_NAMES } from '../../lambdas/config/secret-names.ts';
import { type BundleInfo, bundleLambda, bundleRunner } from './bundle.ts';
import { runOnce, WarmChild } from './child.ts';
import type { UpdateSpec } from './fixtures.ts';
import { attributeProfile, type ProfileSummary } from './profile.ts';
import type { BlockResult, ColdResult, ExitResult, RunnerJob, TraceSummary, WarmReady } from './protocol.ts';
import { startBenchServices } from './services.ts';
import { type Distribution, distribution, int, kb, ms, table, times } from './stats.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT_DIR = join(ROOT, '.bench');
const LOG_DIR = join(OUT_DIR, 'logs');

const WARM_ITERATIONS = intFromEnv('BENCH_WARM_N', 2000, 1000);
const COLD_RUNS = intFromEnv('BENCH_COLD_RUNS', 12, 10);
const WARMUP = 100;
const WARM_BLOCK = 100;
const TRACED = 200;
const PROFILE_N = intFromEnv('BENCH_PROFILE_N', 1000, 0);
const ADMIN_ID = 424_242;
const BOT_ID = 7_000_000_001;
const TARGETS = { bundleKb: 300, coldImportRatio: 2.0, warmP99Ratio: 1.5 } as const;

type Variant = 'ours' | 'baseline';
const VARIANTS: readonly Variant[] = ['ours', 'baseline'];

/** What the warm phase collects per handler. */
interface WarmData {
  ready: WarmReady;
  samplesMs: number[];
  /** Median of each block, to show how much the machine drifted during the run. */
  blockP50Ms: number[];
  cpuUs: number;
  serverCpuUs: number;
  trace?: TraceSummary;
  rssBytes?: number;
  logBytes?: number;
}

/** Dummy AWS settings: nothing may reach real AWS, and no profile from this machine leaks in. */
const AWS_ENV = {
  AWS_REGION: 'eu-west-1',
  AWS_ACCESS_KEY_ID: 'bench',
  AWS_SECRET_ACCESS_KEY: 'bench',
  AWS_EC2_METADATA_DISABLED: 'true',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};

function intFromEnv(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const value = raw === undefined ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) throw new Error(`${name} must be an integer >= ${min}`);
  return value;
}

const say = (line: string) => process.stdout.write(`${line}\n`);

async function main(): Promise<void> {
  Object.assign(process.env, AWS_ENV);
  const benchStart = performance.now();
  const loadBefore = loadavg()[0] ?? 0;
  await rm(LOG_DIR, { recursive: true, force: true });
  await mkdir(LOG_DIR, { recursive: true });

  say('Bundling (esbuild, the CDK construct settings)...');
  const bundles: Record<Variant, BundleInfo> = {
    ours: await bundleLambda(join(ROOT, 'lambdas/handlers/webhook.ts'), join(OUT_DIR, 'ours/index.mjs')),
    baseline: await bundleLambda(
      join(ROOT, 'scripts/bench/baseline-webhook.ts'),
      join(OUT_DIR, 'baseline/index.mjs'),
    ),
  };
  const runner = join(OUT_DIR, 'runner.mjs');
  await bundleRunner(join(ROOT, 'scripts/bench/runner.ts'), runner);
  const emptyModule = join(OUT_DIR, 'empty.mjs');
  await writeFile(emptyModule, 'export {};\n');

  const work = await mkdtemp(join(tmpdir(), 'webhook-bench-'));
  const services = await startBenchServices('bench-');
  try {
    // Secrets as the local stack keeps them: AES-GCM files read by the real local-file adapter.
    const botToken = `${BOT_ID}:${randomBytes(26).toString('base64url')}`;
    const webhookSecret = randomBytes(36).toString('base64url');
    const secretsDir = join(work, 'secrets');
    const secrets = new EncryptedFileSecretStore({ dir: secretsDir });
    await secrets.put(SECRET_NAMES.botToken, botToken);
    await secrets.put(SECRET_NAMES.webhookSecret, webhookSecret);

    const baseEnv: NodeJS.ProcessEnv = { PATH: process.env.PATH ?? '', HOME: work, ...AWS_ENV };
    const envs: Record<Variant, NodeJS.ProcessEnv> = {
      ours: {
        ...baseEnv,
        POWERTOOLS_SERVICE_NAME: 'telegram-webhook',
        TELEGRAM_BOT_USERNAME: 'bench_orchestrator_bot',
        ADMIN_TELEGRAM_IDS: String(ADMIN_ID),
        TELEGRAM_API_ROOT: services.telegramApiRoot,
        SECRETS_DRIVER: 'local-file',
        LOCAL_SECRETS_DIR: secretsDir,
        QUEUE_DRIVER: 'sqs',
        QUEUE_URL: services.queueUrl,
        // The SDK's own endpoint for SQS, so it matches the queue URL's host as it does in AWS
        // (otherwise the SQS client warns on stderr on every send).
        AWS_ENDPOINT_URL_SQS: services.sqsEndpoint,
        DYNAMODB_ENDPOINT: services.dynamoEndpoint,
        TABLE_PREFIX: 'bench-',
      },
      baseline: {
        ...baseEnv,
        BASELINE_BOT_TOKEN: botToken,
        BASELINE_WEBHOOK_SECRET: webhookSecret,
        BASELINE_TABLE: services.baselineTable,
        DYNAMODB_ENDPOINT: services.dynamoEndpoint,
      },
    };
    const spec: UpdateSpec = { secretToken: webhookSecret, userId: ADMIN_ID };
    const invocations: Record<Variant, number> = { ours: 0, baseline: 0 };
    let nextUpdateId = 100_000;
    let resultSeq = 0;

    const stderrSeen = new Set<string>();
    const job = (variant: Variant | 'floor', mode: RunnerJob['mode'], count: number): RunnerJob => {
      const firstUpdateId = nextUpdateId;
      nextUpdateId += count;
      if (variant !== 'floor') invocations[variant] += count;
      return {
        mode,
        bundle: variant === 'floor' ? emptyModule : bundles[variant].outfile,
        out: join(work, `result-${resultSeq++}.json`),
        spec: variant === 'floor' ? null : spec,
        firstUpdateId,
        warmup: mode === 'warm' ? WARMUP : 0,
      };
    };
    const envOf = (variant: Variant | 'floor') => (variant === 'floor' ? baseEnv : envs[variant]);
    const logOf = (variant: Variant | 'floor', mode: string) => join(LOG_DIR, `${variant}-${mode}.log`);

    say(`Cold starts: ${COLD_RUNS} fresh node processes per handler (+ empty-module floor), interleaved...`);
    const cold: Record<Variant | 'floor', ColdResult[]> = { ours: [], baseline: [], floor: [] };
    for (let round = 0; round < COLD_RUNS; round++) {
      const order: Variant[] = round % 2 === 0 ? ['ours', 'baseline'] : ['baseline', 'ours'];
      for (const variant of ['floor', ...order] as const) {
        const { result, stderr } = await runOnce<ColdResult>(
          runner,
          job(variant, 'cold', variant === 'floor' ? 0 : 1),
          envOf(variant),
          logOf(variant, 'cold'),
        );
        if (stderr && !stderrSeen.has(stderr)) {
          stderrSeen.add(stderr);
          say(`  stderr of a ${variant} cold run: ${stderr.slice(0, 400)}`);
        }
        cold[variant].push(result);
      }
    }

    const blocks = Math.ceil(WARM_ITERATIONS / WARM_BLOCK);
    say(
      `Warm: ${WARMUP} warm-up, then ${int(WARM_ITERATIONS)} timed invocations per handler in ${blocks} ` +
        `alternating blocks, then ${TRACED} traced...`,
    );
    const warm = {} as Record<Variant, WarmData>;
    const profiles: Partial<Record<Variant, ProfileSummary>> = {};
    const children = {} as Record<Variant, WarmChild>;
    try {
      for (const variant of VARIANTS) {
        const started = await WarmChild.start(
          runner,
          job(variant, 'warm', WARMUP),
          envs[variant],
          logOf(variant, 'warm'),
        );
        children[variant] = started.child;
        warm[variant] = { ready: started.ready, samplesMs: [], cpuUs: 0, serverCpuUs: 0, blockP50Ms: [] };
      }
      // ABBA order, block by block: drift and neighbours' load hit both handlers alike.
      for (let block = 0; block < blocks; block++) {
        const count = Math.min(WARM_BLOCK, WARM_ITERATIONS - block * WARM_BLOCK);
        const order = block % 2 === 0 ? VARIANTS : [...VARIANTS].reverse();
        for (const variant of order) {
          const { firstUpdateId } = job(variant, 'warm', count);
          const serverCpu = process.cpuUsage();
          const result = await children[variant].request<BlockResult>({ cmd: 'block', firstUpdateId, count });
          const cpu = process.cpuUsage(serverCpu);
          const w = warm[variant];
          w.samplesMs.push(...result.samplesMs);
          w.blockP50Ms.push(distribution(result.samplesMs).p50);
          w.cpuUs += result.cpuUs;
          w.serverCpuUs += cpu.user + cpu.system;
        }
      }
      if (PROFILE_N > 0) {
        say(`Profiling: ${int(PROFILE_N)} more invocations per handler under the V8 CPU profiler...`);
        for (const variant of VARIANTS) {
          const { firstUpdateId } = job(variant, 'warm', PROFILE_N);
          const out = join(OUT_DIR, `${variant}-warm.cpuprofile`);
          await children[variant].request<BlockResult>({
            cmd: 'profile',
            firstUpdateId,
            count: PROFILE_N,
            out,
          });
          profiles[variant] = await attributeProfile(out, bundles[variant].outfile);
        }
      }
      for (const variant of VARIANTS) {
        const { firstUpdateId } = job(variant, 'warm', TRACED);
        warm[variant].trace = await children[variant].request<TraceSummary>({
          cmd: 'trace',
          firstUpdateId,
          count: TRACED,
        });
        warm[variant].rssBytes = (await children[variant].request<ExitResult>({ cmd: 'exit' })).rssBytes;
        warm[variant].logBytes = (await stat(logOf(variant, 'warm'))).size;
      }
    } finally {
      for (const child of Object.values(children)) child.kill();
    }

    // The bench's premises, checked: every update went all the way, and nothing else was called.
    const checks = {
      telegramConnections: services.telegramConnections(),
      sqsSends: services.sqsSends(),
      dedupItems: await services.countItems(services.tableNames.dedup),
      baselineItems: await services.countItems(services.baselineTable),
      userLookups:
        (warm.ours.ready.warmupCalls['DynamoDB_20120810.GetItem'] ?? 0) +
        (warm.ours.trace?.calls['DynamoDB_20120810.GetItem'] ?? 0),
    };
    const problems = [
      checks.telegramConnections > 0 && `${checks.telegramConnections} connections to the Telegram API`,
      checks.userLookups > 0 && `${checks.userLookups} user lookups (GetItem) for an admin`,
      checks.sqsSends !== invocations.ours && `ours queued ${checks.sqsSends} of ${invocations.ours} updates`,
      // The webhook's one call is the queue send; the consumer takes the dedup claim.
      checks.dedupItems !== 0 && `ours wrote ${checks.dedupItems} items to the dedup table`,
      checks.baselineItems !== invocations.baseline &&
        `baseline stored ${checks.baselineItems} of ${invocations.baseline} updates`,
    ].filter((p): p is string => typeof p === 'string');
    if (problems.length > 0) throw new Error(`Bench premises violated:\n  - ${problems.join('\n  - ')}`);

    const load = { before: loadBefore, after: loadavg()[0] ?? 0 };
    const report = buildReport(bundles, cold, warm, profiles, invocations, checks, load);
    const elapsedS = (performance.now() - benchStart) / 1000;
    printReport(report, elapsedS);
    await writeFile(
      join(OUT_DIR, 'webhook-bench.json'),
      `${JSON.stringify({ ...report, elapsedSeconds: elapsedS }, null, 2)}\n`,
    );
    say(`\nJSON: ${join(OUT_DIR, 'webhook-bench.json')}   handler logs: ${LOG_DIR}/`);
  } finally {
    await services.stop();
    await rm(work, { recursive: true, force: true });
  }
}

interface ColdSummary {
  importMs: Distribution;
  importCallMs: Distribution;
  importAndFirstRequestMs?: Distribution;
}

function summarizeCold(results: ColdResult[]): ColdSummary {
  const firsts = results.flatMap((r) => (r.firstResponseMs === undefined ? [] : [r.firstResponseMs]));
  return {
    importMs: distribution(results.map((r) => r.importedMs)),
    importCallMs: distribution(results.map((r) => r.importedMs - r.importStartMs)),
    ...(firsts.length > 0 ? { importAndFirstRequestMs: distribution(firsts) } : {}),
  };
}

type Checks = Record<
  'telegramConnections' | 'sqsSends' | 'dedupItems' | 'baselineItems' | 'userLookups',
  number
>;

function buildReport(
  bundles: Record<Variant, BundleInfo>,
  cold: Record<Variant | 'floor', ColdResult[]>,
  warm: Record<Variant, WarmData>,
  profiles: Partial<Record<Variant, ProfileSummary>>,
  invocations: Record<Variant, number>,
  checks: Checks,
  load: { before: number; after: number },
) {
  const coldSummary = {
    ours: summarizeCold(cold.ours),
    baseline: summarizeCold(cold.baseline),
    floor: summarizeCold(cold.floor),
  };
  const warmSummary = (variant: Variant) => {
    const w = warm[variant];
    // Every invocation of the warm process logged to the same file.
    const total = WARMUP + WARM_ITERATIONS + TRACED + PROFILE_N;
    return {
      latencyMs: distribution(w.samplesMs),
      samplesMs: w.samplesMs.map((s) => Math.round(s * 1000) / 1000),
      cpuPerUpdateUs: w.cpuUs / WARM_ITERATIONS,
      serverCpuPerUpdateUs: w.serverCpuUs / WARM_ITERATIONS,
      logBytesPerUpdate: (w.logBytes ?? 0) / total,
      rssMb: (w.rssBytes ?? 0) / 2 ** 20,
      blockP50Ms: w.blockP50Ms,
      warmupCalls: w.ready.warmupCalls,
      trace: w.trace!,
    };
  };
  const warmOurs = warmSummary('ours');
  const warmBase = warmSummary('baseline');
  const ratios = {
    bundleSize: bundles.ours.bytes / bundles.baseline.bytes,
    coldImportMedian: coldSummary.ours.importMs.p50 / coldSummary.baseline.importMs.p50,
    coldImportAndFirstRequestMedian:
      (coldSummary.ours.importAndFirstRequestMs?.p50 ?? Number.NaN) /
      (coldSummary.baseline.importAndFirstRequestMs?.p50 ?? Number.NaN),
    warmP50: warmOurs.latencyMs.p50 / warmBase.latencyMs.p50,
    warmP99: warmOurs.latencyMs.p99 / warmBase.latencyMs.p99,
  };
  const pass = (ok: boolean) => (ok ? 'PASS' : 'MISS');
  const targets = {
    bundleSize: {
      target: `<= ${TARGETS.bundleKb} KB`,
      result: pass(bundles.ours.bytes / 1024 <= TARGETS.bundleKb),
    },
    coldImport: {
      target: `<= ${TARGETS.coldImportRatio.toFixed(1)}x`,
      result: pass(ratios.coldImportMedian <= TARGETS.coldImportRatio),
    },
    warmP99: {
      target: `<= ${TARGETS.warmP99Ratio.toFixed(1)}x`,
      result: pass(ratios.warmP99 <= TARGETS.warmP99Ratio),
    },
  };
  const bundleJson = (b: BundleInfo) => ({
    bytes: b.bytes,
    kb: b.bytes / 1024,
    sourceMapBytes: b.mapBytes,
    topInputs: b.inputs.slice(0, 10),
    topFolders: b.folders.slice(0, 10),
    packages: b.packages,
  });
  return {
    generatedAt: new Date().toISOString(),
    machine: {
      node: process.version,
      platform: `${process.platform} ${process.arch}`,
      cpus: cpus().length,
      cpuModel: cpus()[0]?.model ?? 'unknown',
      loadAverage1m: load,
    },
    settings: {
      esbuild:
        'platform node, target node22, format esm, minify, bundle all (AWS SDK included), createRequire banner',
      coldRuns: COLD_RUNS,
      warmup: WARMUP,
      warmIterations: WARM_ITERATIONS,
      traced: TRACED,
      profiled: PROFILE_N,
      adminUserId: ADMIN_ID,
      kb: 1024,
    },
    bundle: { ours: bundleJson(bundles.ours), baseline: bundleJson(bundles.baseline) },
    cold: coldSummary,
    warm: { ours: warmOurs, baseline: warmBase },
    profile: profiles,
    ratios,
    targets,
    checks: { ...checks, invocations },
  };
}

type Report = ReturnType<typeof buildReport>;

function printReport(r: Report, elapsedS: number): void {
  const { machine: m } = r;
  say('');
  say(`WEBHOOK BENCH  ${m.node} ${m.platform}, ${m.cpus} x ${m.cpuModel}`);
  say(
    '  Bundles: esbuild with the CDK construct settings (node22 target, ESM, minified, AWS SDK from the runtime, native fetch);',
  );
  say(`  they run here on Node ${m.node}. KB = 1024 bytes.`);
  const load = m.loadAverage1m;
  say(
    `  1-min load average ${load.before.toFixed(1)} at start, ${load.after.toFixed(1)} at end` +
      (Math.max(load.before, load.after) > m.cpus
        ? ` (above ${m.cpus} CPUs: other work competed; expect noisy tails, re-run to compare).`
        : '.'),
  );

  say('\n1. Bundle size');
  say(
    table(
      ['handler', 'bytes', 'size', 'source map (not loaded)'],
      (['ours', 'baseline'] as const).map((v) => [
        v,
        int(r.bundle[v].bytes),
        kb(r.bundle[v].bytes),
        kb(r.bundle[v].sourceMapBytes),
      ]),
    ),
  );

  say(`\n2. Cold start (fresh node process, median of ${r.settings.coldRuns}; ms since process start)`);
  const coldRow = (label: string, c: ColdSummary) => [
    label,
    ms(c.importMs.p50),
    `${ms(c.importMs.min)} / ${ms(c.importMs.max)}`,
    ms(c.importCallMs.p50),
    c.importAndFirstRequestMs ? ms(c.importAndFirstRequestMs.p50) : '-',
    c.importAndFirstRequestMs
      ? `${ms(c.importAndFirstRequestMs.min)} / ${ms(c.importAndFirstRequestMs.max)}`
      : '-',
  ];
  say(
    table(
      ['handler', 'import', 'min / max', 'import() alone', 'import + 1st request', 'min / max'],
      [
        coldRow('ours', r.cold.ours),
        coldRow('baseline', r.cold.baseline),
        coldRow('empty module (node floor)', r.cold.floor),
      ],
    ),
  );
  say('  Ours builds its app on the first request (config, 2 secrets read, bot); the baseline at import.');

  say(
    `\n3. Warm in-process latency (${int(r.settings.warmIterations)} sequential invocations after ${r.settings.warmup} warm-up)`,
  );
  const warmRow = (v: Variant) => {
    const w = r.warm[v];
    return [
      v,
      ms(w.latencyMs.p50, 2),
      ms(w.latencyMs.p90, 2),
      ms(w.latencyMs.p99, 2),
      ms(w.latencyMs.max, 2),
      ms(w.latencyMs.mean, 2),
      `${int(w.cpuPerUpdateUs)} us`,
      `${int(w.serverCpuPerUpdateUs)} us`,
      `${int(w.logBytesPerUpdate)} B`,
    ];
  };
  say(
    table(
      ['handler', 'p50', 'p90', 'p99', 'max', 'mean', 'CPU/update', 'server CPU/update', 'logs/update'],
      [warmRow('ours'), warmRow('baseline')],
    ),
  );
  say('  CPU/update: the handler process; server CPU: dynalite + fake SQS in the bench process.');
  const drift = (v: Variant) => {
    const d = distribution(r.warm[v].blockP50Ms);
    return `${v} ${ms(d.min, 2)}..${ms(d.max, 2)}`;
  };
  say(
    `  Timed in ${r.warm.ours.blockP50Ms.length} blocks per handler, alternating ABBA; block medians: ` +
      `${drift('ours')}, ${drift('baseline')}.`,
  );
  say(
    `  Updates come from admin ${r.settings.adminUserId} (ADMIN_TELEGRAM_IDS), so ours makes no user lookup and no Telegram call:`,
  );
  say(
    `  observed Telegram API connections ${r.checks.telegramConnections}, user GetItems ${r.checks.userLookups}. ` +
      `All responses 200; ours queued ${int(r.checks.sqsSends)}/${int(r.checks.invocations.ours)} and claimed ` +
      `${int(r.checks.dedupItems)} dedup items (the webhook writes none); baseline stored ${int(r.checks.baselineItems)}/${int(r.checks.invocations.baseline)}.`,
  );

  say('\n4. Ours / baseline');
  const t = r.targets;
  say(
    table(
      ['metric', 'ours', 'baseline', 'ratio', 'target', 'result'],
      [
        [
          'bundle size',
          kb(r.bundle.ours.bytes),
          kb(r.bundle.baseline.bytes),
          times(r.ratios.bundleSize),
          t.bundleSize.target,
          t.bundleSize.result,
        ],
        [
          'cold import (median)',
          ms(r.cold.ours.importMs.p50),
          ms(r.cold.baseline.importMs.p50),
          times(r.ratios.coldImportMedian),
          t.coldImport.target,
          t.coldImport.result,
        ],
        [
          'cold import + 1st request (median)',
          ms(r.cold.ours.importAndFirstRequestMs?.p50 ?? Number.NaN),
          ms(r.cold.baseline.importAndFirstRequestMs?.p50 ?? Number.NaN),
          times(r.ratios.coldImportAndFirstRequestMedian),
          '-',
          '-',
        ],
        [
          'warm p50',
          ms(r.warm.ours.latencyMs.p50, 2),
          ms(r.warm.baseline.latencyMs.p50, 2),
          times(r.ratios.warmP50),
          '-',
          '-',
        ],
        [
          'warm p99',
          ms(r.warm.ours.latencyMs.p99, 2),
          ms(r.warm.baseline.latencyMs.p99, 2),
          times(r.ratios.warmP99),
          t.warmP99.target,
          t.warmP99.result,
        ],
      ],
    ),
  );

  say(`\n5. Where the warm time goes (traced pass, ${TRACED} invocations, mean per update)`);
  const traceRow = (v: Variant) => {
    const tr = r.warm[v].trace;
    const per = (x: number) => x / tr.invocations;
    const waits = Object.values(tr.waitMs).reduce((a, b) => a + b, 0);
    const calls = Object.entries(tr.calls)
      .map(
        ([op, n]) =>
          `${per(n).toFixed(1)} ${op.replace('DynamoDB_20120810', 'DynamoDB').replace('AmazonSQS', 'SQS')}`,
      )
      .join(', ');
    return [
      v,
      ms(tr.meanTotalMs, 2),
      ms(per(tr.waitMs.DynamoDB_20120810 ?? 0), 2),
      ms(per(tr.waitMs.AmazonSQS ?? 0), 2),
      ms(tr.meanTotalMs - per(waits), 2),
      calls,
    ];
  };
  say(
    table(
      ['handler', 'total', 'DynamoDB wait', 'SQS wait', 'in-process', 'HTTP calls per update'],
      [traceRow('ours'), traceRow('baseline')],
    ),
  );
  say('  wait = request start to response headers (node:diagnostics_channel); in-process = the rest.');

  if (r.profile.ours && r.profile.baseline) {
    const n = r.settings.profiled;
    const perUpdate = (v: number) => `${int((v * 1000) / n)} us`;
    const base = new Map(r.profile.baseline.byOrigin.map((row) => [row.name, row.ms]));
    say(`\n6. Where the warm CPU goes (V8 profile of ${int(n)} more invocations each, self time per update)`);
    say(
      `  busy: ours ${perUpdate(r.profile.ours.busyMs)}, baseline ${perUpdate(r.profile.baseline.busyMs)} per update ` +
        `(idle, i.e. waiting on dynalite/SQS: ours ${perUpdate(r.profile.ours.idleMs)}, baseline ${perUpdate(r.profile.baseline.idleMs)}).`,
    );
    say(
      table(
        ['origin (package, repo file, node core)', 'ours', 'share', 'baseline'],
        r.profile.ours.byOrigin
          .slice(0, 14)
          .map((row) => [
            row.name,
            perUpdate(row.ms),
            `${(100 * row.share).toFixed(1)}%`,
            base.has(row.name) ? perUpdate(base.get(row.name)!) : '-',
          ]),
      ),
    );
    const baseFn = new Map(r.profile.baseline.byFunction.map((row) => [row.name, row.ms]));
    say('  Top 12 functions of ours by self time (and the same function in the baseline):');
    say(
      table(
        ['function  original source', 'ours', 'share', 'baseline'],
        r.profile.ours.byFunction
          .slice(0, 12)
          .map((row) => [
            row.name.slice(0, 100),
            perUpdate(row.ms),
            `${(100 * row.share).toFixed(1)}%`,
            baseFn.has(row.name) ? perUpdate(baseFn.get(row.name)!) : '-',
          ]),
      ),
    );
    say('  (The profiler slows both handlers; compare shares and ours vs baseline, not absolute times.)');
  }

  say('\n7. What the bundle is made of (esbuild metafile, bytes in output)');
  say('  Top 10 inputs of ours:');
  say(
    table(
      ['input', 'bytes', 'share'],
      r.bundle.ours.topInputs.map((i) => [
        i.path,
        int(i.bytes),
        `${((100 * i.bytes) / r.bundle.ours.bytes).toFixed(1)}%`,
      ]),
    ),
  );
  say('  Top 10 packages of ours (and the same package in the baseline):');
  const baseBytes = new Map(r.bundle.baseline.packages.map((p) => [p.name, p.bytes]));
  say(
    table(
      ['package', 'ours', 'share', 'baseline'],
      r.bundle.ours.packages
        .slice(0, 10)
        .map((p) => [
          p.name,
          kb(p.bytes),
          `${((100 * p.bytes) / r.bundle.ours.bytes).toFixed(1)}%`,
          baseBytes.has(p.name) ? kb(baseBytes.get(p.name)!) : '-',
        ]),
    ),
  );
  say('  Top 5 folders of ours (many small files add up):');
  say(
    table(
      ['folder', 'bytes', 'share'],
      r.bundle.ours.topFolders
        .slice(0, 5)
        .map((f) => [f.name, int(f.bytes), `${((100 * f.bytes) / r.bundle.ours.bytes).toFixed(1)}%`]),
    ),
  );
  say(`\nDone in ${elapsedS.toFixed(1)} s.`);
}

main().catch((error: unknown) => {
  process.stderr.write(`\nBENCH FAILED: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
