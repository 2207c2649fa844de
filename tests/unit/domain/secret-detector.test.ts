import { describe, expect, it } from 'vitest';
import {
  type DetectedSecret,
  detectSecrets,
  redact,
  type SecretKind,
  TELEGRAM_TOKEN_FORMAT,
} from '../../../lambdas/domain/chat-secrets/secret-detector.ts';

// Made-up values in the shapes the detector looks for.
const TELEGRAM = `7123456789:AAH${'dqTcvCH1vGWJxfSeofSAs0K5PALDsaw'}`;
const GITHUB_CLASSIC = `ghp_${'a1B2'.repeat(9)}`;
const GITHUB_FINE = `github_pat_11ABCDEFG0_${'x7Y'.repeat(20)}`;
const AWS_KEY = 'AKIAIOSFODNN7EXAMPLE';
const AWS_SESSION_KEY = 'ASIAY3FZ5QH7EXAMPLE1';
const OPENAI = `sk-${'A1b2C3d4'.repeat(3)}`;
const OPENAI_PROJECT = `sk-proj-${'abc_DEF-ghi'.repeat(3)}`;
const RSA_KEY =
  '-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEAx4\nq1w2e3r4\n-----END RSA PRIVATE KEY-----';
const PKCS8_KEY = '-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----';
const OPENSSH_KEY =
  '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----';

const kindsIn = (text: string) => detectSecrets(text).map((s) => [s.kind, s.value]);

describe('detectSecrets: each kind', () => {
  it.each<{ kind: SecretKind; value: string }>([
    { kind: 'TELEGRAM_BOT_TOKEN', value: TELEGRAM },
    { kind: 'GITHUB_TOKEN', value: GITHUB_CLASSIC },
    { kind: 'GITHUB_TOKEN', value: GITHUB_FINE },
    { kind: 'AWS_ACCESS_KEY_ID', value: AWS_KEY },
    { kind: 'AWS_ACCESS_KEY_ID', value: AWS_SESSION_KEY },
    { kind: 'OPENAI_API_KEY', value: OPENAI },
    { kind: 'OPENAI_API_KEY', value: OPENAI_PROJECT },
    { kind: 'PRIVATE_KEY', value: RSA_KEY },
    { kind: 'PRIVATE_KEY', value: PKCS8_KEY },
    { kind: 'PRIVATE_KEY', value: OPENSSH_KEY },
  ])('finds a $kind alone and inside a sentence', ({ kind, value }) => {
    // Prepare
    const sentence = `here it is: ${value} (for weather-bot)`;

    // Act
    const alone = detectSecrets(value);
    const inside = detectSecrets(sentence);

    // Assess
    expect(alone).toEqual([{ kind, value, start: 0, end: value.length }]);
    expect(inside).toEqual([{ kind, value, start: 12, end: 12 + value.length }]);
    expect(sentence.slice(inside[0]?.start, inside[0]?.end)).toBe(value);
  });

  it.each([
    'make me a weather bot with daily notifications',
    'meet at 10:30, or 12345:67890',
    'my bot id is 7123456789:short',
    `${TELEGRAM.slice(0, 11)}${'x'.repeat(29)}`,
    'ghp_short and github_pat_tooshort',
    'AKIA1234 and akiaiosfodnn7example and AKIAIOSFODNN7EXAMPL',
    'sk-short, task-force-alpha-bravo-charlie, risk-assessment-for-the-project-2026',
    '-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0B\n-----END PUBLIC KEY-----',
    '-----BEGIN CERTIFICATE-----\nMIIDdzCCAl+gAwIBAgIE\n-----END CERTIFICATE-----',
    '-----BEGIN RSA PRIVATE KEY----- with no end',
    'the variable is called OPENAI_API_KEY and the token TELEGRAM_BOT_TOKEN',
  ])('finds nothing in %j', (text) => {
    // Act
    const found = detectSecrets(text);

    // Assess
    expect(found).toEqual([]);
  });
});

describe('detectSecrets: several and overlapping', () => {
  it('finds several secrets of different kinds in text order', () => {
    // Prepare
    const text = `openai ${OPENAI}, aws ${AWS_KEY}, bot ${TELEGRAM} and ${GITHUB_CLASSIC}`;

    // Act
    const found = kindsIn(text);

    // Assess
    expect(found).toEqual([
      ['OPENAI_API_KEY', OPENAI],
      ['AWS_ACCESS_KEY_ID', AWS_KEY],
      ['TELEGRAM_BOT_TOKEN', TELEGRAM],
      ['GITHUB_TOKEN', GITHUB_CLASSIC],
    ]);
  });

  it('finds the same kind twice', () => {
    // Act
    const found = kindsIn(`${AWS_KEY} ${AWS_SESSION_KEY}`);

    // Assess
    expect(found).toEqual([
      ['AWS_ACCESS_KEY_ID', AWS_KEY],
      ['AWS_ACCESS_KEY_ID', AWS_SESSION_KEY],
    ]);
  });

  it('reports a private key block once, not the tokens that happen to sit inside it', () => {
    // Prepare
    const block = `-----BEGIN EC PRIVATE KEY-----\n${AWS_KEY}\n${TELEGRAM}\n${OPENAI}\n-----END EC PRIVATE KEY-----`;

    // Act
    const found = detectSecrets(`key:\n${block}\nthanks`);

    // Assess
    expect(found).toEqual([{ kind: 'PRIVATE_KEY', value: block, start: 5, end: 5 + block.length }]);
  });

  it('keeps two private key blocks apart', () => {
    // Act
    const found = kindsIn(`${RSA_KEY}\nand\n${OPENSSH_KEY}`);

    // Assess
    expect(found).toEqual([
      ['PRIVATE_KEY', RSA_KEY],
      ['PRIVATE_KEY', OPENSSH_KEY],
    ]);
  });

  it('never reports overlapping spans', () => {
    // Prepare
    const text = `${RSA_KEY} ${OPENAI_PROJECT} ${TELEGRAM}${AWS_KEY} ${GITHUB_FINE}`;

    // Act
    const found = detectSecrets(text);

    // Assess
    for (let i = 1; i < found.length; i++) {
      expect(found[i]?.start).toBeGreaterThanOrEqual(found[i - 1]?.end ?? 0);
    }
    expect(found.map((s) => s.value).join('')).not.toBe('');
  });
});

describe('redact', () => {
  it('replaces each secret with its placeholder and keeps the rest of the text', () => {
    // Prepare
    const text = `use ${OPENAI} and ${TELEGRAM} for weather-bot`;
    const found = detectSecrets(text);

    // Act
    const redacted = redact(text, found, (secret, i) => `[secret:ref${i} ${secret.kind}]`);

    // Assess
    expect(redacted).toBe(
      'use [secret:ref0 OPENAI_API_KEY] and [secret:ref1 TELEGRAM_BOT_TOKEN] for weather-bot',
    );
    expect(redacted).not.toContain(OPENAI);
    expect(redacted).not.toContain(TELEGRAM);
  });

  it.each([
    { case: 'nothing found', text: 'plain words', secrets: [] as DetectedSecret[], expected: 'plain words' },
    {
      case: 'a secret at both ends',
      text: `${AWS_KEY} x ${AWS_KEY}`,
      secrets: undefined,
      expected: '[1] x [2]',
    },
    { case: 'only a secret', text: RSA_KEY, secrets: undefined, expected: '[1]' },
  ])('handles $case', ({ text, secrets, expected }) => {
    // Act
    const redacted = redact(text, secrets ?? detectSecrets(text), (_s, i) => `[${i + 1}]`);

    // Assess
    expect(redacted).toBe(expected);
  });
});

describe('TELEGRAM_TOKEN_FORMAT', () => {
  it.each([
    { token: TELEGRAM, valid: true },
    { token: `12345:${'a'.repeat(30)}`, valid: true },
    { token: `123456789012345:${'a'.repeat(50)}`, valid: true },
    { token: `1234:${'a'.repeat(35)}`, valid: false },
    { token: `12345:${'a'.repeat(29)}`, valid: false },
    { token: `12345:${'a'.repeat(51)}`, valid: false },
    { token: ` ${TELEGRAM}`, valid: false },
    { token: `${TELEGRAM}!`, valid: false },
  ])('judges $token valid: $valid', ({ token, valid }) => {
    // Act
    const matches = TELEGRAM_TOKEN_FORMAT.test(token);

    // Assess
    expect(matches).toBe(valid);
  });
});

describe('detectSecrets: tokens people paste in the wild', () => {
  it.each([
    { case: 'ends with a dash', token: `7123456789:AAH${'dqTcvCH1vGWJxfSeofSAs0K5PALDsa'}-` },
    { case: 'ends with an underscore', token: `7123456789:AAH${'dqTcvCH1vGWJxfSeofSAs0K5PALDsa'}_` },
  ])('takes a whole Telegram token that $case', ({ token }) => {
    // Act
    const found = detectSecrets(`token ${token} thanks`);

    // Assess
    expect(found.map((s) => s.value)).toEqual([token]);
  });

  it('finds a Telegram token inside a Bot API URL', () => {
    // Act
    const found = detectSecrets(`it fails: https://api.telegram.org/bot${TELEGRAM}/getMe`);

    // Assess
    expect(found.map((s) => s.value)).toEqual([TELEGRAM]);
  });
});
