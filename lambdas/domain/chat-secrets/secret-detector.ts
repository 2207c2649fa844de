/**
 * Finds credentials in a chat message so they can be taken out before the text is stored,
 * logged or shown to a model. Patterns are deliberately specific: a false alarm costs a
 * deleted message, a miss leaks a secret into the transcript.
 */
export type SecretKind =
  | 'TELEGRAM_BOT_TOKEN'
  | 'GITHUB_TOKEN'
  | 'AWS_ACCESS_KEY_ID'
  | 'OPENAI_API_KEY'
  | 'PRIVATE_KEY';

export interface DetectedSecret {
  kind: SecretKind;
  value: string;
  start: number;
  end: number;
}

const PATTERNS: Array<{ kind: SecretKind; pattern: RegExp }> = [
  {
    kind: 'PRIVATE_KEY',
    pattern: /-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+?-----END [A-Z ]*PRIVATE KEY-----/g,
  },
  // No \b: a token may end in '-', and sits after letters in a Bot API URL (.../bot<token>/getMe).
  { kind: 'TELEGRAM_BOT_TOKEN', pattern: /(?<!\d)\d{5,15}:[A-Za-z0-9_-]{30,50}(?![A-Za-z0-9_-])/g },
  { kind: 'GITHUB_TOKEN', pattern: /\b(?:gh[pousr]_[A-Za-z0-9]{36,255}|github_pat_[A-Za-z0-9_]{40,255})\b/g },
  { kind: 'AWS_ACCESS_KEY_ID', pattern: /\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/g },
  { kind: 'OPENAI_API_KEY', pattern: /\bsk-(?:proj-)?[A-Za-z0-9_-]{20,200}\b/g },
];

export function detectSecrets(text: string): DetectedSecret[] {
  const found: DetectedSecret[] = [];
  for (const { kind, pattern } of PATTERNS) {
    for (const match of text.matchAll(pattern)) {
      const start = match.index ?? 0;
      const end = start + match[0].length;
      if (found.some((f) => start < f.end && end > f.start)) continue;
      found.push({ kind, value: match[0], start, end });
    }
  }
  return found.sort((a, b) => a.start - b.start);
}

/** Replaces each detected secret with the placeholder `replace` returns for it. */
export function redact(
  text: string,
  secrets: DetectedSecret[],
  replace: (secret: DetectedSecret, index: number) => string,
): string {
  let result = '';
  let cursor = 0;
  secrets.forEach((secret, index) => {
    result += text.slice(cursor, secret.start) + replace(secret, index);
    cursor = secret.end;
  });
  return result + text.slice(cursor);
}

export const TELEGRAM_TOKEN_FORMAT = /^\d{5,15}:[A-Za-z0-9_-]{30,50}$/;
