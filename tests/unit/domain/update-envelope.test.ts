import { describe, expect, it } from 'vitest';
import { parseUpdate } from '../../../lambdas/domain/updates/update-envelope.ts';

const NOT_AN_UPDATE = 'body is not a Telegram update (no integer update_id)';

describe('parseUpdate', () => {
  it('accepts an update and keeps every field grammY needs', () => {
    // Prepare
    const update = {
      update_id: 7,
      message: { message_id: 1, date: 1, text: 'hi', chat: { id: 5, type: 'private' } },
    };

    // Act
    const result = parseUpdate(JSON.stringify(update));

    // Assess
    expect(result).toEqual({ ok: true, update });
  });

  it.each([0, 1, 2 ** 31, Number.MAX_SAFE_INTEGER])('accepts update_id %s', (updateId) => {
    // Act
    const result = parseUpdate(JSON.stringify({ update_id: updateId }));

    // Assess
    expect(result).toEqual({ ok: true, update: { update_id: updateId } });
  });

  it.each(['', 'not json', '{"update_id": 1', "{'update_id': 1}", '<xml/>'])('calls %j not JSON', (body) => {
    // Act
    const result = parseUpdate(body);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'body is not JSON' });
  });

  it.each([
    { what: 'an array', body: '[{"update_id": 1}]' },
    { what: 'null', body: 'null' },
    { what: 'a number', body: '1' },
    { what: 'a string', body: '"update"' },
    { what: 'an object without update_id', body: '{"message": {}}' },
    { what: 'a negative update_id', body: '{"update_id": -1}' },
    { what: 'a fractional update_id', body: '{"update_id": 1.5}' },
    { what: 'a string update_id', body: '{"update_id": "1"}' },
    { what: 'a null update_id', body: '{"update_id": null}' },
    { what: 'a boolean update_id', body: '{"update_id": true}' },
  ])('refuses $what', ({ body }) => {
    // Act
    const result = parseUpdate(body);

    // Assess
    expect(result).toEqual({ ok: false, reason: NOT_AN_UPDATE });
  });
});

describe('parseUpdate: what Telegram never sends', () => {
  const message = (fields: Record<string, unknown>) => ({
    update_id: 1,
    message: {
      message_id: 1,
      date: 1,
      chat: { id: 7, type: 'private' },
      from: { id: 7, is_bot: false, first_name: 'A' },
      ...fields,
    },
  });
  const callback = (data: unknown) => ({
    update_id: 1,
    callback_query: { id: 'q', from: { id: 7, is_bot: false, first_name: 'A' }, chat_instance: 'c', data },
  });

  it.each([
    { what: 'a number as text', update: message({ text: 12345 }), field: 'message.text' },
    { what: 'an object as text', update: message({ text: { a: 1 } }), field: 'message.text' },
    { what: 'an array as text', update: message({ text: ['a'] }), field: 'message.text' },
    { what: 'a boolean as text', update: message({ text: true }), field: 'message.text' },
    {
      what: 'text longer than 4096 characters',
      update: message({ text: 'a'.repeat(4097) }),
      field: 'message.text',
    },
    { what: 'a number as caption', update: message({ caption: 1 }), field: 'message.caption' },
    {
      what: 'a chat without an id',
      update: message({ chat: { type: 'private' } }),
      field: 'message.chat.id',
    },
    {
      what: 'a sender id as a string',
      update: message({ from: { id: '7', is_bot: false, first_name: 'A' } }),
      field: 'message.from.id',
    },
    { what: 'a number as callback data', update: callback(5), field: 'callback_query.data' },
    { what: 'callback data over 64 bytes', update: callback('x'.repeat(65)), field: 'callback_query.data' },
    {
      what: 'an edited message with an object as text',
      update: {
        update_id: 1,
        edited_message: { message_id: 1, date: 1, chat: { id: 7, type: 'private' }, text: {} },
      },
      field: 'edited_message.text',
    },
  ])('refuses $what, naming the field and not its value', ({ update, field }) => {
    // Act
    const result = parseUpdate(JSON.stringify(update));

    // Assess
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(
      new RegExp(`^not a Telegram update: ${field.replace('.', '\\.')} `),
    );
    expect(!result.ok && result.reason).not.toContain('12345');
  });

  it('refuses a field nested 10,000 levels deep without overflowing the stack', () => {
    // Prepare
    const body = `{"update_id":1,"message":{"x":${'['.repeat(10_000)}${']'.repeat(10_000)}}}`;

    // Act
    const result = parseUpdate(body);

    // Assess
    expect(result).toEqual({ ok: false, reason: 'body is nested deeper than 32 levels' });
  });

  it('counts brackets inside strings as text, not nesting', () => {
    // Act
    const result = parseUpdate(
      JSON.stringify(message({ text: '[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[ \\" {{{' })),
    );

    // Assess
    expect(result.ok).toBe(true);
  });

  it('accepts a real text message, a captioned photo, an edit and a button press, keeping unknown fields', () => {
    // Prepare
    const updates = [
      message({
        text: 'hi',
        entities: [{ type: 'bot_command', offset: 0, length: 2 }],
        link_preview_options: {},
      }),
      message({ photo: [{ file_id: 'f', file_unique_id: 'u', width: 1, height: 1 }], caption: 'look' }),
      {
        update_id: 2,
        edited_message: { message_id: 1, date: 1, edit_date: 2, chat: { id: 7, type: 'private' }, text: 'x' },
      },
      {
        ...callback('cf:0123456789abcdef:y'),
        callback_query: {
          ...callback('cf:0123456789abcdef:y').callback_query,
          message: { message_id: 3, date: 1, chat: { id: 7, type: 'private' } },
        },
      },
    ];

    // Act
    const results = updates.map((u) => parseUpdate(JSON.stringify(u)));

    // Assess
    expect(results.map((r) => r.ok)).toEqual([true, true, true, true]);
    expect(results[0]).toEqual({ ok: true, update: updates[0] });
  });
});
