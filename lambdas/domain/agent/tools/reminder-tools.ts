import * as z from 'zod';
import { invalid } from '../../errors.ts';
import type { Reminders } from '../../reminders/reminders.ts';
import type { AgentServices } from '../agent-services.ts';
import { defineTool } from '../agent-tool.ts';

function need(services: AgentServices): Reminders {
  if (!services.reminders) throw invalid('Reminders are not configured in this installation.');
  return services.reminders;
}

const facts = (r: { id: string; at: string; text: string }) => ({ id: r.id, at: r.at, text: r.text });

export const setReminder = defineTool({
  name: 'set_reminder',
  description:
    'Remind the person later, in this chat: "remind me tomorrow at 9 to check the logs". Resolve the time ' +
    'yourself from the current time: give `at` (ISO 8601 with its offset) or `inSeconds` from now.',
  input: z.object({
    text: z.string().min(1).max(500).describe('What to remind them of, in their words'),
    at: z.iso.datetime({ offset: true }).optional(),
    inSeconds: z.number().int().min(1).max(31_622_400).optional(),
  }),
  // Keyed by the idempotency key: a replay finds the reminder this call set.
  idempotent: true,
  async run({ text, at, inSeconds }, { principal, chatId, services, idempotencyKey }) {
    if ((at === undefined) === (inSeconds === undefined)) throw invalid('Give either at or inSeconds.');
    const when = at ? new Date(at) : new Date(Date.now() + (inSeconds ?? 0) * 1000);
    const reminder = await need(services).set(principal, chatId, { at: when, text }, idempotencyKey);
    return { result: { kind: 'reminder_set', reminder: facts(reminder) } };
  },
});

export const listReminders = defineTool({
  name: 'list_reminders',
  description: "The person's reminders still to come in this chat.",
  input: z.object({}),
  idempotent: true,
  async run(_input, { principal, chatId, services }) {
    const reminders = await need(services).list(principal, chatId);
    return { result: { kind: 'reminders_listed', reminders: reminders.map(facts) } };
  },
});

export const cancelReminder = defineTool({
  name: 'cancel_reminder',
  description: 'Cancel one of the person’s reminders by its id (from list_reminders); it never arrives.',
  input: z.object({ id: z.string().min(1).max(40) }),
  idempotent: true,
  async run({ id }, { principal, chatId, services }) {
    const reminder = await need(services).cancel(principal, chatId, id);
    return { result: { kind: 'reminder_cancelled', reminder: facts(reminder) } };
  },
});

export const REMINDER_TOOLS = [setReminder, listReminders, cancelReminder];
