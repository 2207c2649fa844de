import * as z from 'zod';
import { defineTool } from '../agent-tool.ts';

/** The tools every turn has: talk to the person, ask for more tools, end the turn. */
export const respondToUser = defineTool({
  name: 'respond_to_user',
  description: 'Send a message to the person in the chat. Use plain, short sentences.',
  input: z.object({ text: z.string().min(1).max(4000) }),
  // Sending a chat message cannot be undone or de-duplicated: after an interrupted run it is
  // not sent again, so the person never gets the same message twice.
  idempotent: false,
  async run({ text }, { chatId, services }) {
    await services.chat.send(chatId, text);
    return { result: { kind: 'message_sent' } };
  },
});

export const requestCapabilities = defineTool({
  name: 'request_capabilities',
  description: 'Ask for more tool groups when the current tools cannot do what the person wants.',
  input: z.object({ groups: z.array(z.string()).min(1).max(5), reason: z.string().max(300).optional() }),
  idempotent: true,
  async run({ groups }) {
    return {
      result: { kind: 'capabilities_requested', groups },
      control: { kind: 'add_capabilities', groups },
    };
  },
});

export const finish = defineTool({
  name: 'finish',
  description: 'End this turn once the person has been answered.',
  input: z.object({ summary: z.string().max(500).optional() }),
  idempotent: true,
  async run() {
    return { result: { kind: 'turn_finished' }, control: { kind: 'finish' } };
  },
});

export const BASE_TOOLS = [respondToUser, requestCapabilities, finish];
