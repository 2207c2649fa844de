import { describe, expect, it } from 'vitest';
import { LOG_TAIL_CHARS, redactedTail } from '../../../containers/deployer/src/worker.ts';

describe("the rollback's log tail", () => {
  it('replaces every secret, as printed, URL-encoded or JSON-escaped, before it is cut', () => {
    // Prepare
    const secrets = ['wk_live_a/b+c"d', 'ghs_token_0123456789'];
    const log = [
      'config: {"WEATHER_API_KEY":"wk_live_a/b+c\\"d"}',
      'GET https://api.example/forecast?key=wk_live_a%2Fb%2Bc%22d failed',
      'cloning with ghs_token_0123456789',
    ].join('\n');

    // Act
    const tail = redactedTail(log, secrets);

    // Assess
    expect(tail).toBe(
      [
        'config: {"WEATHER_API_KEY":"***"}',
        'GET https://api.example/forecast?key=*** failed',
        'cloning with ***',
      ].join('\n'),
    );
  });

  it('keeps the newest part of a long log, and no piece of a secret at the cut', () => {
    // Prepare: a secret straddles the point where the tail is cut
    const secret = 'wk_live_5e6f7a8b9c0d1e2f3a4b';
    const log = `${'x'.repeat(100)}${secret}${'y'.repeat(LOG_TAIL_CHARS - 10)}`;

    // Act
    const tail = redactedTail(log, [secret]);

    // Assess
    expect(tail).toHaveLength(LOG_TAIL_CHARS);
    expect(tail.endsWith('y'.repeat(LOG_TAIL_CHARS - 10))).toBe(true);
    expect(tail).not.toContain(secret.slice(-10));
  });
});
