import type { Update } from 'grammy/types';
import { beforeEach, describe, expect, it } from 'vitest';
import { UpdateProcessor } from '../../../lambdas/app/update-processor.ts';
import { MESSAGES } from '../../../lambdas/bot/messages.ts';
import { TurnPausedError } from '../../../lambdas/domain/agent/turn-runner.ts';
import { DomainError } from '../../../lambdas/domain/errors.ts';
import { type PipelineEvent, pipelineEventBody } from '../../../lambdas/domain/pipelines/pipeline-event.ts';
import { UpdateDeduplicator } from '../../../lambdas/domain/updates/update-deduplicator.ts';
import { LanguageModelError } from '../../../lambdas/ports/language-model.ts';
import type { OutgoingMessage } from '../../../lambdas/ports/queue.ts';
import type { MetricName } from '../../../lambdas/ports/telemetry.ts';
import { createLogger } from '../../../lambdas/shared/logger.ts';
import { MemoryStore } from '../../support/memory-store.ts';
import { privateText } from '../../support/telegram-api-recorder.ts';

const CHAT = 1001;
let handled: Update[];
let failWith: (() => unknown) | undefined;
let told: Array<[number, string]>;
let deadLetters: OutgoingMessage[];
let counted: MetricName[];
let processor: UpdateProcessor;
let events: PipelineEvent[];

beforeEach(() => {
  handled = [];
  failWith = undefined;
  told = [];
  deadLetters = [];
  counted = [];
  events = [];
  const logger = createLogger('update-processor-test');
  logger.setLogLevel('SILENT');
  processor = new UpdateProcessor({
    handle: async (update) => {
      if (failWith) throw failWith();
      handled.push(update);
    },
    handleEvent: async (event) => {
      if (failWith) throw failWith();
      events.push(event);
    },
    claims: new UpdateDeduplicator(new MemoryStore(), 7, 90_000),
    deadLetters: { send: async (m) => void deadLetters.push(m) },
    tell: async (chatId, text) => void told.push([chatId, text]),
    retry: { maxAttempts: 3, baseDelayMs: 1_000, maxDelayMs: 60_000 },
    logger,
    telemetry: { count: (name) => void counted.push(name), flush: () => undefined },
    random: () => 1,
  });
});

const queued = (update: Update, messageId = `m-${update.update_id}`) => ({
  messageId,
  groupId: String(CHAT),
  body: JSON.stringify(update),
});

describe('UpdateProcessor: failures that would repeat', () => {
  it.each([
    {
      what: 'a bug (TypeError)',
      error: () => new TypeError('text.startsWith is not a function'),
      told: MESSAGES.couldNotHandle,
    },
    {
      what: 'a model ValidationException',
      error: () => new LanguageModelError('ValidationException', 'bedrock', false, 400),
      told: MESSAGES.modelRefused,
    },
    {
      what: 'a model AccessDenied',
      error: () => new LanguageModelError('AccessDeniedException', 'bedrock', false, 403),
      told: MESSAGES.modelRefused,
    },
    {
      what: 'a domain error',
      error: () => new DomainError('Project x not found', 'not_found'),
      told: 'Project x not found',
    },
  ])('tells the person about $what and drops the update at once', async ({ error, told: text }) => {
    // Prepare
    failWith = error;

    // Act
    const outcome = await processor.process(queued(privateText(CHAT, 'hi')));

    // Assess
    expect(outcome).toEqual({ kind: 'done', how: 'dropped' });
    expect(told).toEqual([[CHAT, text]]);
    expect(counted).toEqual(['UpdateFailedPermanently']);
    expect(deadLetters).toEqual([]);
  });

  it("leaves the chat's next message free to be answered", async () => {
    // Prepare
    failWith = () => new TypeError('boom');
    await processor.process(queued(privateText(CHAT, 'bad')));
    failWith = undefined;
    const next = privateText(CHAT, 'list my projects');

    // Act
    const outcome = await processor.process(queued(next));

    // Assess
    expect(outcome).toEqual({ kind: 'done', how: 'answered' });
    expect(handled).toEqual([next]);
  });
});

describe('UpdateProcessor: outages and bounces', () => {
  it('retries an outage with doubling delays and gives up after maxAttempts', async () => {
    // Prepare
    failWith = () => new LanguageModelError('ThrottlingException', 'bedrock', true, 429);
    const message = queued(privateText(CHAT, 'hi'));

    // Act
    const outcomes = [
      await processor.process(message),
      await processor.process(message),
      await processor.process(message),
    ];

    // Assess
    expect(outcomes).toEqual([
      { kind: 'retry', afterMs: 1_000 },
      { kind: 'retry', afterMs: 2_000 },
      { kind: 'done', how: 'dead-lettered' },
    ]);
    expect(told).toEqual([[CHAT, MESSAGES.gaveUp(3)]]);
    expect(deadLetters.map((m) => m.body)).toEqual([message.body]);
    expect(counted).toEqual(['UpdateRetried', 'UpdateRetried', 'UpdateDeadLettered']);
  });

  it("handles an operator's redrive of a dead-lettered update (a new queue message) as new", async () => {
    // Prepare
    const update = privateText(CHAT, 'hi');
    failWith = () => new Error('outage');
    for (let i = 0; i < 3; i++) await processor.process(queued(update, 'original'));
    failWith = undefined;

    // Act
    const outcome = await processor.process(queued(update, 'redriven'));

    // Assess
    expect(outcome).toEqual({ kind: 'done', how: 'answered' });
    expect(handled).toEqual([update]);
  });

  it('puts a paused turn back in a second without counting it', async () => {
    // Prepare
    failWith = () => new TurnPausedError();
    const message = queued(privateText(CHAT, 'hi'));

    // Act
    const outcomes = await Promise.all([1, 2, 3, 4, 5].map(() => processor.process(message)));

    // Assess
    expect(new Set(outcomes.map((o) => JSON.stringify(o)))).toEqual(
      new Set([JSON.stringify({ kind: 'retry', afterMs: 1_000 })]),
    );
    expect(counted).toEqual([]);
    expect(deadLetters).toEqual([]);
  });
});

describe('UpdateProcessor: pipeline events', () => {
  const event: PipelineEvent = {
    kind: 'succeeded',
    pipeline: 'engineering',
    runName: 'eng-weather-bot-55da0d-1',
    projectId: 'weather-bot-55da0d',
    ownerId: CHAT,
    chatId: CHAT,
    htmlUrl: 'http://127.0.0.1:1/org/weather-bot',
    commit: 'abc1234',
    attempts: 1,
  };
  const message = { messageId: 'm-event', groupId: String(CHAT), body: pipelineEventBody(event) };

  it("hands a pipeline event to the owner's conversation, not to the Telegram bot", async () => {
    // Act
    const outcome = await processor.process(message);

    // Assess
    expect(outcome).toEqual({ kind: 'done', how: 'answered' });
    expect(events).toEqual([event]);
    expect(handled).toEqual([]);
    expect(deadLetters).toEqual([]);
  });

  it('retries an event whose delivery failed for a reason that may pass', async () => {
    // Prepare
    failWith = () => new Error('DynamoDB unavailable');

    // Act
    const outcome = await processor.process(message);

    // Assess
    expect(outcome.kind).toBe('retry');
    expect(events).toEqual([]);
  });

  it('dead-letters an event body that is not a valid event', async () => {
    // Act
    const outcome = await processor.process({ ...message, body: '{"pipelineEvent":{"kind":"exploded"}}' });

    // Assess
    expect(outcome).toEqual({ kind: 'done', how: 'dead-lettered' });
  });
});
