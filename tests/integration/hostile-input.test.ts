import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MESSAGES } from '../../lambdas/bot/messages.ts';
import { ADMIN_ID, StackHarness, textUpdate } from '../support/local-stack-harness.ts';

const GITHUB_TOKEN = `ghp_${'Zq8Lm2Xv9Rt4'.repeat(3)}`;
const OPENAI_KEY = `sk-${'Ab3De6Gh9Jk2'.repeat(3)}`;

/** Hostile and odd input at the webhook of the running local stack. */
describe('hostile input on the local stack', () => {
  let harness: StackHarness;

  beforeAll(async () => {
    harness = await StackHarness.start();
  });
  afterAll(async () => {
    await harness.dispose();
  });

  const withText = (text: unknown) => {
    const update = textUpdate(ADMIN_ID, 'placeholder') as unknown as { message: Record<string, unknown> };
    update.message.text = text;
    return JSON.stringify(update);
  };

  it.each([
    { what: 'a number', text: 12345 },
    { what: 'an object', text: { a: 1 } },
    { what: 'an array', text: ['a'] },
    { what: 'a boolean', text: true },
  ])(
    'refuses text as $what with 400 and still answers the chat next message within seconds',
    async ({ text }) => {
      // Prepare
      const before = harness.replies(ADMIN_ID).length;

      // Act
      const refused = await harness.postWebhook(withText(text));
      const accepted = await harness.postWebhook(JSON.stringify(textUpdate(ADMIN_ID, 'list my projects')));
      const replies = await harness.waitForReplies(ADMIN_ID, before + 1, 5_000);

      // Assess
      expect([refused.status, accepted.status]).toEqual([400, 200]);
      expect(replies).toHaveLength(before + 1);
      await harness.settle();
      expect(harness.queueStats()).toEqual({ visible: 0, inFlight: 0, deadLetters: 0 });
    },
  );

  it('refuses callback data that is a number with 400', async () => {
    // Act
    const response = await harness.postWebhook(
      JSON.stringify({
        update_id: 990_000_001,
        callback_query: {
          id: 'q1',
          from: { id: ADMIN_ID, is_bot: false, first_name: 'A' },
          chat_instance: 'c',
          data: 5,
        },
      }),
    );

    // Assess
    expect(response.status).toBe(400);
  });

  it('answers 400, not 500, to a field nested 10,000 levels deep (20 KB)', async () => {
    // Prepare
    const body = `{"update_id":990000002,"message":{"message_id":1,"date":1,"chat":{"id":${ADMIN_ID},"type":"private"},"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;

    // Act
    const response = await harness.postWebhook(body);

    // Assess
    expect(Buffer.byteLength(body)).toBeGreaterThan(20_000);
    expect(response.status).toBe(400);
  });

  it('deletes a secret sent as a photo caption and keeps only the encrypted value', async () => {
    // Prepare
    const client = harness.client(ADMIN_ID);
    const photo = client.makeMessage(
      undefined as unknown as string,
      {
        caption: `my key ${OPENAI_KEY}`,
        photo: [{ file_id: 'f', file_unique_id: 'u', width: 1, height: 1 }],
      } as never,
    );
    const before = harness.replies(ADMIN_ID).length;

    // Act
    await client.sendMessage(photo);
    const replies = await harness.waitForReplies(ADMIN_ID, before + 1);
    await harness.settle();

    // Assess
    expect(replies.at(-1)?.text).toBe(
      'I removed your message because it contained a secret; it is stored encrypted.',
    );
    expect(JSON.stringify(harness.stack.emulator.server.storage.userMessages)).not.toContain(OPENAI_KEY);
  });

  it('deletes a secret put into a message by editing it', async () => {
    // Prepare: a harmless message, then its edit with a token in it
    await harness.say(ADMIN_ID, 'hello there');
    await harness.settle();
    const stored = harness.stack.emulator.server.storage.userMessages as unknown as Array<{
      messageId: number;
      message: { text?: string };
    }>;
    const original = stored.filter((m) => m.message.text === 'hello there').at(-1);
    const before = harness.replies(ADMIN_ID).length;
    const edit = textUpdate(ADMIN_ID, `hello there, token ${GITHUB_TOKEN}`) as unknown as Record<
      string,
      unknown
    >;
    const message = { ...(edit.message as object), message_id: original?.messageId, edit_date: 2 };
    const { message: _dropped, ...rest } = edit;

    // Act
    const response = await harness.postWebhook(JSON.stringify({ ...rest, edited_message: message }));
    const replies = await harness.waitForReplies(ADMIN_ID, before + 1);
    await harness.settle();

    // Assess
    expect(response.status).toBe(200);
    expect(replies.at(-1)?.text).toBe(
      'I removed your message because it contained a secret; it is stored encrypted.',
    );
    const left = harness.stack.emulator.server.storage.userMessages as unknown as Array<{
      messageId: number;
    }>;
    expect(original).toBeDefined();
    expect(left.some((m) => m.messageId === original?.messageId)).toBe(false);
    for (const table of ['sessions', 'checkpoints', 'dedup'] as const) {
      expect(JSON.stringify(await harness.scan(table))).not.toContain(GITHUB_TOKEN);
    }
  });

  it('refuses a stranger once however often Telegram delivers the update, keeping only its id', async () => {
    // Prepare
    const stranger = 6_666_001;
    const update = JSON.stringify(textUpdate(stranger, 'let me in'));

    // Act
    for (let i = 0; i < 5; i++) expect((await harness.postWebhook(update)).status).toBe(200);
    await harness.waitForReplies(stranger, 1);
    await harness.settle();

    // Assess
    expect(harness.replies(stranger).map((r) => r.text)).toEqual([MESSAGES.refusal]);
    const everything = JSON.stringify(
      await Promise.all(
        (['users', 'sessions', 'projects', 'checkpoints', 'usage'] as const).map((t) => harness.scan(t)),
      ),
    );
    expect(everything).not.toContain(String(stranger));
  });
});
