/**
 * The engineering pipeline on the local stack (offline model, scripted engine): wall time from the
 * "Confirm" of "build it" to the success message, state transitions per run (from the history),
 * and what one such run would cost in AWS: transitions at Step Functions Standard prices, the two
 * Fargate tasks at arm64 prices (per second, one-minute minimum) and the step Lambdas. Part of
 * `npm run bench`; results in .bench/pipeline-bench.json. A benchmark, not a test.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalStack } from '../local-stack/stack.ts';
import { estimateRunCost, until } from './local-run-costs.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const ADMIN = 1001;
const RUNS = Number(process.env.BENCH_PIPELINE_RUNS ?? 3);

async function oneRun(): Promise<{
  wallMs: number;
  transitions: number;
  costUsd: number;
  lambdaSteps: number;
}> {
  const dataDir = await mkdtemp(join(tmpdir(), 'pipeline-bench-'));
  const stack = await startLocalStack({
    dataDir,
    env: { ADMIN_TELEGRAM_IDS: String(ADMIN), HEARTBEAT_SECONDS: '60' },
  });
  try {
    const client = stack.emulator.server.getClient(stack.botToken, {
      userId: ADMIN,
      chatId: ADMIN,
      firstName: 'Bench',
    });
    const replies = () =>
      (
        stack.emulator.server.storage.botMessages as unknown as Array<{
          messageId: number;
          message: {
            chat_id: number | string;
            text?: string;
            reply_markup?: { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> };
          };
        }>
      ).filter((r) => String(r.message.chat_id) === String(ADMIN));
    await client.sendMessage(client.makeMessage('make me a weather bot with daily notifications'));
    await until(() => replies().find((r) => r.message.text?.startsWith('Created project')));
    await client.sendMessage(client.makeMessage('build it'));
    const question = await until(() => replies().find((r) => r.message.reply_markup?.inline_keyboard));
    const confirm = question.message.reply_markup?.inline_keyboard?.flat().find((b) => b.text === 'Confirm');
    const started = performance.now();
    await client.sendCallback(
      client.makeCallbackQuery(confirm?.callback_data ?? '', {
        message: { message_id: question.messageId, chat: { id: ADMIN, type: 'private' } },
      } as never),
    );
    await until(() => replies().find((r) => r.message.text?.startsWith('Built ')));
    const wallMs = performance.now() - started;
    const [run] = await stack.engineering.pipelines.list('engineering');
    const history = await stack.engineering.pipelines.history(run?.runId ?? '');
    return { wallMs, ...estimateRunCost(history) };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`Pipeline: ${RUNS} runs of "build it" on the local stack (offline model, scripted engine)...`);
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await oneRun());
  const wall = results.map((r) => r.wallMs).sort((a, b) => a - b);
  const median = wall[Math.floor(wall.length / 2)] ?? 0;
  const report = {
    runs: RUNS,
    wallMsMedian: Math.round(median),
    wallMsMax: Math.round(wall.at(-1) ?? 0),
    transitionsPerRun: results[0]?.transitions,
    estimatedAwsCostUsdPerRun: Number((results[0]?.costUsd ?? 0).toFixed(5)),
    targets: { wallSeconds: 30, transitions: 30 },
  };
  console.log(
    [
      `  wall time, Confirm to success message: median ${(median / 1000).toFixed(1)} s, max ${((wall.at(-1) ?? 0) / 1000).toFixed(1)} s (target <= 30 s: ${median <= 30_000 ? 'PASS' : 'MISS'})`,
      `  state transitions per run (no rework): ${report.transitionsPerRun} (target <= 30: ${(report.transitionsPerRun ?? 99) <= 30 ? 'PASS' : 'MISS'})`,
      `  estimated AWS cost of one run: $${report.estimatedAwsCostUsdPerRun} (transitions, two Fargate tasks at the 1-minute minimum, ${results[0]?.lambdaSteps} Lambda steps; model tokens extra)`,
    ].join('\n'),
  );
  const out = resolve(import.meta.dirname, '../../.bench');
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'pipeline-bench.json'), `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
