import { createHash } from 'node:crypto';
import * as z from 'zod';
import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';
import type { OneOffScheduler } from '../../ports/one-off-scheduler.ts';
import type { Principal } from '../access/access-policy.ts';
import { invalid, notFound } from '../errors.ts';

export type ReminderStatus = 'pending' | 'cancelled' | 'delivered';

export interface Reminder {
  id: string;
  chatId: number;
  ownerId: number;
  text: string;
  /** ISO 8601, UTC. */
  at: string;
  status: ReminderStatus;
}

/** What the schedule puts into the chat's queue group when its time comes. */
export const reminderEventSchema = z.object({
  id: z.string().regex(/^rem-[0-9a-f]{16}$/),
  chatId: z.number().int(),
  ownerId: z.number().int().positive(),
  text: z.string().min(1).max(500),
  at: z.string(),
});
export type ReminderEvent = z.infer<typeof reminderEventSchema>;

export function reminderBody(event: ReminderEvent): string {
  return JSON.stringify({ reminder: event });
}

/** A queue body that is a reminder, not a Telegram update or a pipeline event. */
export function parseReminderBody(body: string): ReminderEvent | undefined {
  if (!body.startsWith('{"reminder"')) return undefined;
  try {
    const parsed = reminderEventSchema.safeParse((JSON.parse(body) as { reminder?: unknown }).reminder);
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

const MIN_DELAY_SECONDS = 1;
const MAX_DELAY_SECONDS = 366 * 24 * 3600;
// Kept a month past its time, for list and cancel to say what happened to it.
const KEEP_AFTER_SECONDS = 30 * 24 * 3600;
const MAX_PENDING_PER_CHAT = 50;

/**
 * Reminders a person asks for: a record per reminder in the store (its status is the truth: a
 * cancelled one is never delivered, even if its schedule fires), and a one-off schedule that puts
 * it into the person's chat at its time, where the Product Owner tells them.
 */
export class Reminders {
  constructor(
    private readonly store: KeyValueStore,
    private readonly scheduler: OneOffScheduler,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** Sets a reminder; the same idempotency key (a replayed tool call) gets the same reminder. */
  async set(
    principal: Principal,
    chatId: number,
    input: { at: Date; text: string },
    idempotencyKey: string,
  ): Promise<Reminder> {
    const delay = (input.at.getTime() - this.now().getTime()) / 1000;
    if (!Number.isFinite(delay) || delay < MIN_DELAY_SECONDS)
      throw invalid('That time is in the past (or too soon): give a time ahead of now.');
    if (delay > MAX_DELAY_SECONDS) throw invalid('Reminders can be set up to a year ahead.');
    if ((await this.list(principal, chatId)).length >= MAX_PENDING_PER_CHAT)
      throw invalid(`At most ${MAX_PENDING_PER_CHAT} reminders can wait at once: cancel one first.`);
    const id = `rem-${createHash('sha256').update(`${chatId}:${idempotencyKey}`).digest('hex').slice(0, 16)}`;
    const reminder: Reminder = {
      id,
      chatId,
      ownerId: principal.userId,
      text: input.text.trim().slice(0, 500),
      at: new Date(Math.ceil(input.at.getTime() / 1000) * 1000).toISOString(),
      status: 'pending',
    };
    try {
      await this.store.put('sessions', this.item(reminder), { ifAbsent: true });
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const existing = await this.get(chatId, id);
      if (existing) return existing;
      throw error;
    }
    const { status: _status, ...event } = reminder;
    await this.scheduler.schedule({
      id,
      at: new Date(reminder.at),
      groupId: String(chatId),
      body: reminderBody(event),
    });
    return reminder;
  }

  /** The person's reminders still to come in this chat, soonest first. */
  async list(principal: Principal, chatId: number): Promise<Reminder[]> {
    const page = await this.store.query('sessions', `REMINDERS#${chatId}`, { skBeginsWith: 'rem-' });
    return page.items
      .map((item) => this.fromItem(item))
      .filter((r) => r.status === 'pending' && r.ownerId === principal.userId)
      .sort((a, b) => a.at.localeCompare(b.at));
  }

  /** Cancels a reminder of the person's that has not arrived yet. */
  async cancel(principal: Principal, chatId: number, id: string): Promise<Reminder> {
    const reminder = await this.get(chatId, id);
    if (!reminder || reminder.ownerId !== principal.userId || reminder.status !== 'pending')
      throw notFound(`A pending reminder "${id}"`);
    const cancelled: Reminder = { ...reminder, status: 'cancelled' };
    await this.store.put('sessions', this.item(cancelled));
    await this.scheduler.cancel(id);
    return cancelled;
  }

  /** A reminder that arrived: delivered only if still pending (a cancelled one is dropped). */
  async arrived(event: ReminderEvent): Promise<Reminder | undefined> {
    const reminder = await this.get(event.chatId, event.id);
    return reminder?.status === 'pending' ? reminder : undefined;
  }

  async markDelivered(reminder: Reminder): Promise<void> {
    await this.store.put('sessions', this.item({ ...reminder, status: 'delivered' }));
  }

  async get(chatId: number, id: string): Promise<Reminder | undefined> {
    const item = await this.store.get('sessions', { pk: `REMINDERS#${chatId}`, sk: id });
    return item ? this.fromItem(item) : undefined;
  }

  private item(reminder: Reminder) {
    return {
      pk: `REMINDERS#${reminder.chatId}`,
      sk: reminder.id,
      ...reminder,
      expiresAt: Math.floor(new Date(reminder.at).getTime() / 1000) + KEEP_AFTER_SECONDS,
    };
  }

  private fromItem(item: Record<string, unknown>): Reminder {
    return {
      id: String(item.id),
      chatId: Number(item.chatId),
      ownerId: Number(item.ownerId),
      text: String(item.text),
      at: String(item.at),
      status: item.status as ReminderStatus,
    };
  }
}
