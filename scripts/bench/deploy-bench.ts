/**
 * The whole path on the local stack (offline model, scripted engine, the real deployer with
 * ansible-playbook): from the first message to the message with the URL of a healthy service,
 * through "build and deploy it". Prints the wall time against the 60 s target and the estimated
 * AWS cost of the deploy run (and of the build before it). Part of `npm run bench`; results in
 * .bench/deploy-bench.json. A benchmark, not a test.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { startLocalStack } from '../local-stack/stack.ts';
import { estimateRunCost, until } from './local-run-costs.ts';

process.env.POWERTOOLS_LOG_LEVEL ??= 'WARN';
const ADMIN = 1001;
const RUNS = Number(process.env.BENCH_DEPLOY_RUNS ?? 2);

interface Reply {
  messageId: number;
  message: {
    chat_id: number | string;
    text?: string;
    reply_markup?: { inline_keyboard?: Array<Array<{ text: string; callback_data: string }>> };
  };
}

async function oneRun() {
  const dataDir = await mkdtemp(join(tmpdir(), 'deploy-bench-'));
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
      (stack.emulator.server.storage.botMessages as unknown as Reply[]).filter(
        (r) => String(r.message.chat_id) === String(ADMIN),
      );
    const started = performance.now();
    // No secret in this one: the contract is PORT only, so nothing waits on a person.
    await client.sendMessage(client.makeMessage('make me a quote bot with a quote of the day'));
    await until(() => replies().find((r) => r.message.text?.startsWith('Created project')));
    await client.sendMessage(client.makeMessage('build and deploy it'));
    const question = await until(() => replies().find((r) => r.message.reply_markup?.inline_keyboard));
    const confirm = question.message.reply_markup?.inline_keyboard?.flat().find((b) => b.text === 'Confirm');
    await client.sendCallback(
      client.makeCallbackQuery(confirm?.callback_data ?? '', {
        message: { message_id: question.messageId, chat: { id: ADMIN, type: 'private' } },
      } as never),
    );
    const live = await until(() => replies().find((r) => /is live at/.test(r.message.text ?? '')), 180_000);
    const wallMs = performance.now() - started;
    const url = /(http:\/\/127\.0\.0\.1:\d+)/.exec(live.message.text ?? '')?.[1] ?? '';
    const healthy = (await fetch(`${url}/health`)).status === 200;
    const [build] = await stack.engineering.pipelines.list('engineering');
    const [deploy] = await stack.engineering.pipelines.list('devops');
    const buildCost = estimateRunCost(await stack.engineering.pipelines.history(build?.runId ?? ''));
    const deployCost = estimateRunCost(await stack.engineering.pipelines.history(deploy?.runId ?? ''));
    return { wallMs, healthy, buildCost, deployCost };
  } finally {
    await stack.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  console.log(`Deploy: ${RUNS} runs of "make me ..." + "build and deploy it" on the local stack...`);
  const results = [];
  for (let i = 0; i < RUNS; i++) results.push(await oneRun());
  const wall = results.map((r) => r.wallMs).sort((a, b) => a - b);
  const median = wall[Math.floor(wall.length / 2)] ?? 0;
  const first = results[0];
  const report = {
    runs: RUNS,
    wallMsMedian: Math.round(median),
    wallMsMax: Math.round(wall.at(-1) ?? 0),
    allHealthy: results.every((r) => r.healthy),
    deployTransitions: first?.deployCost.transitions,
    estimatedAwsCostUsdPerDeploy: Number((first?.deployCost.costUsd ?? 0).toFixed(5)),
    estimatedAwsCostUsdBuildAndDeploy: Number(
      ((first?.deployCost.costUsd ?? 0) + (first?.buildCost.costUsd ?? 0)).toFixed(5),
    ),
    targets: { wallSeconds: 60 },
  };
  console.log(
    [
      `  wall time, first message to the URL of a healthy service: median ${(median / 1000).toFixed(1)} s, max ${((wall.at(-1) ?? 0) / 1000).toFixed(1)} s (target <= 60 s: ${median <= 60_000 ? 'PASS' : 'MISS'}); every URL answered: ${report.allHealthy}`,
      `  deploy run: ${report.deployTransitions} state transitions; estimated AWS cost $${report.estimatedAwsCostUsdPerDeploy} (transitions, the deployer task at the 1-minute minimum, ${first?.deployCost.lambdaSteps} Lambda steps)`,
      `  build and deploy together: $${report.estimatedAwsCostUsdBuildAndDeploy} (model tokens extra)`,
    ].join('\n'),
  );
  const out = resolve(import.meta.dirname, '../../.bench');
  await mkdir(out, { recursive: true });
  await writeFile(join(out, 'deploy-bench.json'), `${JSON.stringify(report, null, 2)}\n`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
