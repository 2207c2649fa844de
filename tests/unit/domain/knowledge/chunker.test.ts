import { describe, expect, it } from 'vitest';
import {
  CHUNK_WORDS,
  CODE_CHUNK_WORDS,
  chunkDocument,
  scopeOfPath,
} from '../../../../lambdas/domain/knowledge/chunker.ts';

const words = (n: number, prefix = 'w') => Array.from({ length: n }, (_, i) => `${prefix}${i}`);

describe('scopeOfPath', () => {
  it.each([
    ['README.md', 'docs'],
    ['docs/decisions/0001-storage.md', 'docs'],
    ['notes.txt', 'docs'],
    ['src/app.mjs', 'code'],
    ['package.json', 'code'],
    ['.env.example', 'code'],
    ['Dockerfile', 'code'],
    ['.env', undefined],
    ['config/.env.production', undefined],
    ['package-lock.json', undefined],
    ['node_modules/x/index.js', undefined],
    ['deploy/key.pem', undefined],
    ['logo.png', undefined],
  ])('%s -> %s', (path, scope) => {
    // Act, Assess
    expect(scopeOfPath(path)).toBe(scope);
  });
});

describe('chunkDocument', () => {
  it('cuts Markdown at its headings, with the heading trail as context, and ignores # in code fences', () => {
    // Prepare
    const text =
      '# Weather bot\n\nIntro.\n\n## Storage\n\nWe picked SQLite.\n\n```sh\n# not a heading\n```\n\n## Deploy\n\nOne server.\n';

    // Act
    const chunks = chunkDocument('README.md', text, 'docs');

    // Assess
    expect(chunks.map((c) => c.heading)).toEqual([
      'Weather bot',
      'Weather bot > Storage',
      'Weather bot > Deploy',
    ]);
    expect(chunks[1]?.text).toContain('# not a heading');
    expect(chunks.every((c) => c.scope === 'docs' && c.path === 'README.md')).toBe(true);
  });

  it('cuts a long section into windows of at most 384 words that overlap by about 10%', () => {
    // Prepare: 1,000 words, 10 a line
    const lines = Array.from({ length: 100 }, (_, i) => words(10, `l${i}x`).join(' '));
    const text = `# Long\n\n${lines.join('\n')}`;

    // Act
    const chunks = chunkDocument('docs/long.md', text, 'docs');

    // Assess
    const counts = chunks.map((c) => c.text.split(/\s+/).filter(Boolean).length);
    expect(chunks.length).toBe(3);
    expect(Math.max(...counts)).toBeLessThanOrEqual(CHUNK_WORDS);
    const lastLine = (t: string) => t.split('\n').at(-1) ?? '';
    for (let i = 1; i < chunks.length; i++) {
      const previous = chunks[i - 1]?.text ?? '';
      const overlap = (chunks[i]?.text ?? '').split('\n').filter((l) => previous.includes(l) && /\w/.test(l));
      expect(overlap.length * 10).toBeGreaterThanOrEqual(30); // about 38 words: 3 lines of 10
      expect(overlap.length * 10).toBeLessThanOrEqual(40);
      expect(chunks[i]?.text).toContain(lastLine(previous));
    }
  });

  it('keeps a small code file whole and cuts a large one by size', () => {
    // Prepare
    const small = 'export const x = 1;\n';
    const large = Array.from({ length: 80 }, (_, i) => `const v${i} = ${words(4).join(' + ')};`).join('\n');

    // Act
    const one = chunkDocument('src/x.mjs', small, 'code');
    const many = chunkDocument('src/big.mjs', large, 'code');

    // Assess
    expect(one).toHaveLength(1);
    expect(many.length).toBeGreaterThan(1);
    expect(many.every((c) => c.text.split(/\s+/).length <= CODE_CHUNK_WORDS)).toBe(true);
  });

  it('keys chunks by path and content: unchanged text keeps its key, a change or a move changes it', () => {
    // Prepare
    const text = '# A\n\none\n\n# B\n\ntwo\n';

    // Act
    const [a1, b1] = chunkDocument('x.md', text, 'docs');
    const [a2, b2] = chunkDocument('x.md', text.replace('two', 'three'), 'docs');
    const [a3] = chunkDocument('y.md', text, 'docs');

    // Assess
    expect(a2?.key).toBe(a1?.key);
    expect(b2?.key).not.toBe(b1?.key);
    expect(a3?.key).not.toBe(a1?.key);
  });

  it('skips binary and oversize files', () => {
    // Act, Assess
    expect(chunkDocument('a.txt', 'ab\0cd', 'docs')).toEqual([]);
    expect(chunkDocument('a.txt', 'x'.repeat(200_001), 'docs')).toEqual([]);
  });
});
