import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { chmodSync, mkdirSync, readFileSync } from 'node:fs';
import { open, rename, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import {
  type OutgoingMessage,
  type QueueConsumer,
  QueueMessageTooLargeError,
  type QueueProducer,
  type ReceivedMessage,
} from '../../ports/queue.ts';
import type { BodySealer } from './body-sealer.ts';

export interface FileFifoQueueOptions {
  /** Directory that holds `queue.json`; created with mode 0o700 (messages may hold user text). */
  dir: string;
  visibilityTimeoutMs: number;
  /** Receives allowed before a message moves to the dead-letter list (SQS redrive policy). */
  maxReceiveCount: number;
  /** UTF-8 byte limit of a body; SQS's default is 256 KiB. */
  maxMessageBytes?: number;
  /** Clock for message times (visibility, dedup window, sentAt). Long-poll waits use real timers. */
  now?: () => number;
  /**
   * Seals bodies at rest, as SQS encrypts with KMS: a body may hold a secret someone pasted in chat
   * until the consumer takes it out. Without it bodies are stored as they are.
   */
  sealer?: BodySealer;
}

export interface QueueStats {
  /** Waiting for delivery, including messages held behind an in-flight message of their group. */
  visible: number;
  inFlight: number;
  deadLetters: number;
}

interface StoredMessage {
  messageId: string;
  groupId: string;
  body: string;
  sentAt: number;
  receiveCount: number;
  /** Epoch ms until which the message is in flight; 0 when never received. */
  invisibleUntil: number;
  /** Handle of the latest receive; a delete with any older handle is ignored. */
  receiptHandle: string;
}

interface QueueState {
  v: 1;
  /** Send order across all groups; per-group order is the order within this list. */
  messages: StoredMessage[];
  deadLetters: StoredMessage[];
  /** Deduplication id -> time of the first send that used it. */
  dedup: Record<string, number>;
}

const DEDUP_WINDOW_MS = 5 * 60 * 1000;
const SQS_MAX_BATCH = 10;
const MAX_TIMER_MS = 2 ** 31 - 1;
// SQS accepts 1-128 printable ASCII characters for group and deduplication ids.
const SQS_ID = /^[\x21-\x7e]{1,128}$/;

/**
 * A local stand-in for an SQS FIFO queue, for the local stack where the webhook server and the
 * consumer poller share one Node process. State lives in memory and is written to
 * `dir/queue.json` (atomically, mode 0o600) on every change, so a restarted process continues
 * where the last one stopped; messages in flight when it died come back after their visibility
 * timeout. One live instance per directory: nothing locks the file across processes.
 *
 * A receive hands out at most one message per group. SQS may return several, but then a failed
 * earlier message would be redelivered after a later one that succeeded; one at a time keeps the
 * port's promise that a group is never worked on twice at once.
 */
export class FileFifoQueue implements QueueProducer, QueueConsumer {
  private readonly file: string;
  private readonly visibilityTimeoutMs: number;
  private readonly maxReceiveCount: number;
  private readonly maxMessageBytes: number;
  private readonly now: () => number;
  private readonly sealer: BodySealer | undefined;
  private readonly changes = new EventEmitter();
  private state: QueueState;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(options: FileFifoQueueOptions) {
    this.file = join(options.dir, 'queue.json');
    this.visibilityTimeoutMs = options.visibilityTimeoutMs;
    this.maxReceiveCount = options.maxReceiveCount;
    this.maxMessageBytes = options.maxMessageBytes ?? 262_144;
    this.now = options.now ?? Date.now;
    this.sealer = options.sealer;
    this.changes.setMaxListeners(0);
    mkdirSync(options.dir, { recursive: true, mode: 0o700 });
    chmodSync(options.dir, 0o700);
    // Loaded synchronously so stats() is right from the start and a corrupt file fails at boot.
    this.state = this.readState();
  }

  async send(message: OutgoingMessage): Promise<void> {
    const size = Buffer.byteLength(message.body, 'utf8');
    if (size > this.maxMessageBytes) throw new QueueMessageTooLargeError(size, this.maxMessageBytes);
    if (!SQS_ID.test(message.groupId) || !SQS_ID.test(message.deduplicationId)) {
      throw new TypeError('groupId and deduplicationId must be 1-128 printable ASCII characters');
    }
    await this.exclusive(async () => {
      if (await this.append(this.state.messages, message.deduplicationId, message))
        this.changes.emit('change');
    });
  }

  /**
   * Appends a new message to `list` and persists, unless its deduplication id was used in the last
   * five minutes (then nothing is written). Runs inside `exclusive`.
   */
  private async append(list: StoredMessage[], dedupId: string, message: OutgoingMessage): Promise<boolean> {
    const now = this.now();
    this.pruneDedup(now);
    if (this.state.dedup[dedupId] !== undefined) return false;
    this.state.dedup[dedupId] = now;
    const messageId = randomUUID();
    list.push({
      messageId,
      groupId: message.groupId,
      body: this.sealer ? this.sealer.seal(message.body, messageId) : message.body,
      sentAt: now,
      receiveCount: 0,
      invisibleUntil: 0,
      receiptHandle: '',
    });
    await this.persist();
    return true;
  }

  async receive(options: { maxMessages: number; waitTimeMs?: number }): Promise<ReceivedMessage[]> {
    const { maxMessages, waitTimeMs = 0 } = options;
    if (!Number.isInteger(maxMessages) || maxMessages < 1 || maxMessages > SQS_MAX_BATCH) {
      throw new RangeError(`maxMessages must be an integer from 1 to ${SQS_MAX_BATCH}`);
    }
    const deadline = performance.now() + waitTimeMs;
    for (;;) {
      const batch = await this.exclusive(() => this.take(maxMessages));
      const remaining = deadline - performance.now();
      // A poll that close() interrupts ends empty, so a consumer loop can wind down quietly.
      if (batch.length > 0 || remaining <= 0 || this.closed) return batch;
      await this.waitForChange(Math.min(remaining, this.msUntilNextExpiry(), MAX_TIMER_MS));
      if (this.closed) return [];
    }
  }

  delete(receiptHandle: string): Promise<void> {
    return this.exclusive(async () => {
      const index = this.state.messages.findIndex((m) => m.receiptHandle === receiptHandle);
      // Unknown or stale handle (the message was received again since): a no-op, as in SQS.
      if (receiptHandle === '' || index < 0) return;
      this.state.messages.splice(index, 1);
      await this.persist();
      this.changes.emit('change');
    });
  }

  changeVisibility(receiptHandle: string, timeoutMs: number): Promise<void> {
    return this.exclusive(async () => {
      const message = this.state.messages.find((m) => m.receiptHandle === receiptHandle);
      // As in SQS, only the current receive of a message that is still in flight can be changed.
      if (receiptHandle === '' || !message || message.invisibleUntil <= this.now()) return;
      message.invisibleUntil = this.now() + Math.max(0, timeoutMs);
      await this.persist();
      this.changes.emit('change');
    });
  }

  /**
   * Makes every in-flight message visible again at once and returns how many there were. For the
   * process that takes the directory over after the last one died (kill -9): nobody is working
   * on those messages any more, and waiting out their visibility timeout (minutes) would hold
   * their whole group back, the owner's pipeline news included. Their receive counts stay.
   */
  releaseInFlight(): Promise<number> {
    return this.exclusive(async () => {
      const now = this.now();
      const inFlight = this.state.messages.filter((m) => m.invisibleUntil > now);
      for (const message of inFlight) message.invisibleUntil = now;
      if (inFlight.length > 0) {
        await this.persist();
        this.changes.emit('change');
      }
      return inFlight.length;
    });
  }

  /**
   * The dead-letter queue as a producer, for a consumer that gives up on a message by itself (as
   * the deployed consumer sends to the SQS dead-letter queue). A deduplication id already used
   * within five minutes is dropped, as SQS FIFO does.
   */
  deadLetterProducer(): QueueProducer {
    return {
      send: (message) =>
        this.exclusive(async () => {
          await this.append(this.state.deadLetters, `dlq:${message.deduplicationId}`, message);
        }),
    };
  }

  /** Messages that exhausted maxReceiveCount, oldest first. Their receipt handles are empty. */
  deadLetters(): Promise<ReceivedMessage[]> {
    return this.exclusive(async () => {
      if (this.sweepExhausted(this.now())) await this.persist();
      return this.state.deadLetters.map((m) => toReceived(m, '', this.sealer));
    });
  }

  stats(): QueueStats {
    const now = this.now();
    const counts = { visible: 0, inFlight: 0, deadLetters: this.state.deadLetters.length };
    for (const m of this.state.messages) {
      if (m.invisibleUntil > now) counts.inFlight++;
      else if (m.receiveCount >= this.maxReceiveCount) counts.deadLetters++;
      else counts.visible++;
    }
    return counts;
  }

  /** Wakes pending long polls (they return empty) and waits for the last write to land. */
  async close(): Promise<void> {
    this.closed = true;
    this.changes.emit('change');
    await this.tail;
  }

  /** Picks the deliverable messages: per group, the oldest one, and only if nothing is in flight. */
  private async take(maxMessages: number): Promise<ReceivedMessage[]> {
    if (this.closed) return [];
    const now = this.now();
    let changed = this.sweepExhausted(now);
    const seenGroups = new Set<string>();
    const batch: ReceivedMessage[] = [];
    for (const m of this.state.messages) {
      if (batch.length >= maxMessages) break;
      if (seenGroups.has(m.groupId)) continue;
      seenGroups.add(m.groupId);
      if (m.invisibleUntil > now) continue;
      m.receiveCount++;
      m.invisibleUntil = now + this.visibilityTimeoutMs;
      m.receiptHandle = `${m.messageId}.${randomUUID()}`;
      batch.push(toReceived(m, m.receiptHandle, this.sealer));
      changed = true;
    }
    if (changed) await this.persist();
    return batch;
  }

  /** Moves visible messages that were already received maxReceiveCount times to the dead letters. */
  private sweepExhausted(now: number): boolean {
    const exhausted = (m: StoredMessage) => m.invisibleUntil <= now && m.receiveCount >= this.maxReceiveCount;
    const dead = this.state.messages.filter(exhausted);
    if (dead.length === 0) return false;
    this.state.messages = this.state.messages.filter((m) => !exhausted(m));
    this.state.deadLetters.push(...dead);
    return true;
  }

  private pruneDedup(now: number): void {
    for (const [id, at] of Object.entries(this.state.dedup)) {
      if (now - at >= DEDUP_WINDOW_MS) delete this.state.dedup[id];
    }
  }

  /** Real-time ms until the earliest in-flight message becomes visible again (by the injected clock). */
  private msUntilNextExpiry(): number {
    const now = this.now();
    let next = Number.POSITIVE_INFINITY;
    for (const m of this.state.messages) {
      if (m.invisibleUntil > now) next = Math.min(next, m.invisibleUntil - now);
    }
    return next;
  }

  private waitForChange(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.changes.off('change', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      this.changes.once('change', done);
    });
  }

  /** Runs operations one at a time so each sees and persists a consistent state. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    // Calls made before close() still run; close() waits for them through this same chain.
    if (this.closed) return Promise.reject(new Error('FileFifoQueue is closed'));
    const run = this.tail.then(operation);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private async persist(): Promise<void> {
    const temp = `${this.file}.${randomUUID()}.tmp`;
    try {
      const handle = await open(temp, 'wx', 0o600);
      try {
        await handle.writeFile(JSON.stringify(this.state));
        await handle.sync();
      } finally {
        await handle.close();
      }
      await rename(temp, this.file);
    } catch (error) {
      await unlink(temp).catch(() => undefined);
      // Memory must not run ahead of disk: fall back to the last state that was written.
      this.state = this.readState();
      throw error;
    }
  }

  private readState(): QueueState {
    let raw: string;
    try {
      raw = readFileSync(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
        return { v: 1, messages: [], deadLetters: [], dedup: {} };
      }
      throw error;
    }
    let state: Partial<QueueState> | null;
    try {
      state = JSON.parse(raw) as Partial<QueueState>;
    } catch {
      throw new Error(
        `${this.file} is not valid JSON; refusing to overwrite it (move it aside to start empty)`,
      );
    }
    if (state?.v !== 1 || !Array.isArray(state.messages) || !Array.isArray(state.deadLetters)) {
      throw new Error(`${this.file} is not a version 1 queue file; refusing to overwrite it`);
    }
    return { v: 1, messages: state.messages, deadLetters: state.deadLetters, dedup: state.dedup ?? {} };
  }
}

function toReceived(
  m: StoredMessage,
  receiptHandle: string,
  sealer: BodySealer | undefined,
): ReceivedMessage {
  return {
    messageId: m.messageId,
    receiptHandle,
    groupId: m.groupId,
    body: sealer ? sealer.open(m.body, m.messageId) : m.body,
    receiveCount: m.receiveCount,
    sentAt: m.sentAt,
  };
}
