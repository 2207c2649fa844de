import { describe, expect, it } from 'vitest';
import { parseUpdate } from '../../../lambdas/domain/updates/update-envelope.ts';

const NOT_AN_UPDATE = 'body is not a Telegram update (no integer update_id)';

describe('parseUpdate', () => {
  it('accepts an update and keeps every field grammY needs', () => {
    // Prepare
    const update = { update_id: 7, message: { message_id: 1, text: 'hi', chat: { id: 5, type: 'private' } } };

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
