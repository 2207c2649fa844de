/**
 * Child process of the bench: imports ONE bundled handler and measures it. esbuild bundles this
 * file to .bench/runner.mjs so it runs on plain `node` (no tsx loader in the measured process).
 * Cold mode: time from process start to `import()` resolved, then to the first response. Warm
 * mode: warm-up, timed sequential invocations, then a traced pass attributing wall time to the
 * HTTP calls made (node:diagnostics_channel, off during the timed loop).
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { on } from 'node:events';
import { writeFileSync } from 'node:fs';
import type { ClientRequest } from 'node:http';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { lambdaContext, type UpdateSpec, webhookEvent } from './fixtures.ts';
import type {
  BlockResult,
  ColdResult,
  ExitResult,
  RunnerJob,
  TraceSummary,
  WarmCommand,
  WarmReady,
  WarmReply,
} from './protocol.ts';

type Handler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2 | undefined>;

const job = JSON.parse(process.argv[2] ?? '{}') as RunnerJob;

const importStartMs = performance.now();
const loaded = (await import(pathToFileURL(job.bundle).href)) as { handler?: unknown };
const importedMs = performance.now();

function handlerOf(): Handler {
  if (typeof loaded.handler !== 'function') throw new Error(`${job.bundle} exports no handler function`);
  return loaded.handler as Handler;
}

function specOf(): UpdateSpec {
  if (!job.spec) throw new Error('this mode needs an update spec');
  return job.spec;
}

async function invoke(handler: Handler, updateId: number): Promise<void> {
  const response = await handler(webhookEvent(specOf(), updateId), lambdaContext(`bench-${updateId}`));
  if (response?.statusCode !== 200) {
    throw new Error(
      `update ${updateId} answered ${response?.statusCode} ${response?.body ?? ''} (expected 200)`,
    );
  }
}

async function cold(): Promise<void> {
  const result: ColdResult = { importStartMs, importedMs };
  if (job.spec) {
    const handler = handlerOf();
    const event = webhookEvent(job.spec, job.firstUpdateId);
    const response = await handler(event, lambdaContext(`bench-${job.firstUpdateId}`));
    result.firstResponseMs = performance.now();
    result.status = response?.statusCode;
    if (response?.statusCode !== 200) {
      throw new Error(`first request answered ${response?.statusCode} ${response?.body ?? ''}`);
    }
  }
  writeFileSync(job.out, JSON.stringify(result));
}

async function warm(): Promise<void> {
  const handler = handlerOf();
  const send = (reply: WarmReply) =>
    new Promise<void>((done, fail) => process.send!(reply, undefined, {}, (e) => (e ? fail(e) : done())));
  if (!process.send) throw new Error('warm mode needs an IPC channel');

  const warmupTracer = new CallTracer();
  warmupTracer.start();
  for (let i = 0; i < job.warmup; i++) await invoke(handler, job.firstUpdateId + i);
  warmupTracer.stop();
  const ready: WarmReady = { importedMs, warmupCalls: Object.fromEntries(warmupTracer.calls) };
  await send({ ok: true, value: ready });

  // One command at a time: the bench waits for each reply before it sends the next.
  for await (const [message] of on(process, 'message')) {
    const command = message as WarmCommand;
    if (command.cmd === 'exit') {
      const result: ExitResult = { rssBytes: process.memoryUsage().rss };
      await send({ ok: true, value: result });
      return;
    }
    try {
      const value =
        command.cmd === 'block'
          ? await timedBlock(handler, command.firstUpdateId, command.count)
          : command.cmd === 'trace'
            ? await tracedPass(handler, command.firstUpdateId, command.count)
            : await profiledBlock(handler, command.firstUpdateId, command.count, command.out);
      await send({ ok: true, value });
    } catch (error) {
      await send({
        ok: false,
        error: error instanceof Error ? (error.stack ?? error.message) : String(error),
      });
    }
  }
}

/** The timed loop: events are built before the clock starts, nothing traced, every status checked. */
async function timedBlock(handler: Handler, firstUpdateId: number, count: number): Promise<BlockResult> {
  const events = Array.from({ length: count }, (_, i) => webhookEvent(specOf(), firstUpdateId + i));
  const samplesMs = new Array<number>(count);
  const statuses = new Array<number | undefined>(count);
  const cpuBefore = process.cpuUsage();
  for (let i = 0; i < count; i++) {
    const event = events[i]!;
    const context = lambdaContext(event.requestContext.requestId);
    const started = process.hrtime.bigint();
    const response = await handler(event, context);
    samplesMs[i] = Number(process.hrtime.bigint() - started) / 1e6;
    statuses[i] = response?.statusCode;
  }
  const cpu = process.cpuUsage(cpuBefore);
  const bad = statuses.flatMap((status, i) =>
    status === 200 ? [] : [`update ${firstUpdateId + i}: ${status}`],
  );
  if (bad.length > 0) {
    throw new Error(
      `${bad.length} of ${count} timed invocations were not 200: ${bad.slice(0, 5).join(', ')}`,
    );
  }
  return { samplesMs, cpuUs: cpu.user + cpu.system };
}

/** A timed block inside Profiler.start/stop, so the profile holds warm invocations only. */
async function profiledBlock(handler: Handler, firstUpdateId: number, count: number, out: string) {
  const { Session } = await import('node:inspector/promises');
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 100 });
  await session.post('Profiler.start');
  const block = await timedBlock(handler, firstUpdateId, count);
  const { profile } = await session.post('Profiler.stop');
  session.disconnect();
  writeFileSync(out, JSON.stringify(profile));
  return block;
}

async function tracedPass(handler: Handler, firstUpdateId: number, count: number): Promise<TraceSummary> {
  const tracer = new CallTracer();
  tracer.start();
  const started = process.hrtime.bigint();
  for (let i = 0; i < count; i++) await invoke(handler, firstUpdateId + i);
  const totalMs = Number(process.hrtime.bigint() - started) / 1e6;
  tracer.stop();
  return {
    invocations: count,
    meanTotalMs: totalMs / Math.max(count, 1),
    calls: Object.fromEntries(tracer.calls),
    waitMs: Object.fromEntries(tracer.waitMs),
  };
}

/** Counts outgoing HTTP requests and sums the time until their response headers arrive. */
class CallTracer {
  readonly calls = new Map<string, number>();
  readonly waitMs = new Map<string, number>();
  private readonly inFlight = new WeakMap<object, { service: string; started: bigint }>();

  private readonly onStart = (message: unknown): void => {
    const request = (message as { request: ClientRequest }).request;
    const target = request.getHeader('x-amz-target');
    // Never the path: a Telegram API path carries the bot token.
    const op = typeof target === 'string' ? target : `other:${request.host}`;
    const service = op.split('.', 1)[0] ?? op;
    this.calls.set(op, (this.calls.get(op) ?? 0) + 1);
    this.inFlight.set(request, { service, started: process.hrtime.bigint() });
  };

  private readonly onFinish = (message: unknown): void => {
    const request = (message as { request: ClientRequest }).request;
    const entry = this.inFlight.get(request);
    if (!entry) return;
    this.inFlight.delete(request);
    const elapsed = Number(process.hrtime.bigint() - entry.started) / 1e6;
    this.waitMs.set(entry.service, (this.waitMs.get(entry.service) ?? 0) + elapsed);
  };

  start(): void {
    subscribe('http.client.request.start', this.onStart);
    subscribe('http.client.response.finish', this.onFinish);
  }

  stop(): void {
    unsubscribe('http.client.request.start', this.onStart);
    unsubscribe('http.client.response.finish', this.onFinish);
  }
}

// Last, so CallTracer (a class: not hoisted) is defined before the modes run.
try {
  if (job.mode === 'cold') await cold();
  else await warm();
  process.exit(0);
} catch (error) {
  writeFileSync(job.out, JSON.stringify({ error: error instanceof Error ? error.stack : String(error) }));
  process.exit(1);
}
