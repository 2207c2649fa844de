import { createHash } from 'node:crypto';
import type { KnowledgeScope } from '../../ports/vector-index.ts';

/**
 * Our own chunking, so both embedders see the same pieces: Markdown is cut at its headings first,
 * then any section longer than about 512 tokens into windows of that size overlapping by 10%; code
 * and other text by size alone (a small file is one chunk). Windows follow line breaks; a single
 * overlong line is cut by words. Tokens are estimated at 4/3 per word (English prose and code both
 * come out near that with BPE tokenizers), so 512 tokens is 384 words.
 */
export const CHUNK_WORDS = 384;
/**
 * Code is cut smaller, about 200 tokens: a sentence encoder averages a long input into a vague
 * vector, and on the labelled set (tests/integration/knowledge-retrieval.test.ts) whole 60-line
 * files were found by their words (BM25) but not by their meaning.
 */
export const CODE_CHUNK_WORDS = 150;

export interface Chunk {
  /** `<path hash>-<content hash>`: unchanged text at an unchanged path keeps its key. */
  key: string;
  path: string;
  scope: KnowledgeScope;
  /** The heading trail of a Markdown section ("Decisions > Storage"), if any. */
  heading?: string;
  text: string;
  /** What is embedded: the text, with its heading trail when the text does not start with it. */
  embedText: string;
}

const MARKDOWN = /\.(md|mdx|markdown)$/i;
const DOC_TEXT = /\.(txt|rst|adoc)$/i;
const CODE =
  /\.(m?[jt]sx?|cjs|json|ya?ml|toml|py|go|rs|java|kt|rb|php|cs|c|h|cpp|sh|sql|html|css|scss|vue|svelte|tf|ini|cfg|conf|dockerfile)$/i;
const NEVER =
  /(^|\/)(node_modules|\.git|dist|build|coverage|vendor)\/|(^|\/)(package-lock\.json|yarn\.lock|pnpm-lock\.yaml)$|(^|\/)\.env(\.(?!example$)[^/]*)?$|\.(pem|key|p12|pfx|crt)$/i;
export const MAX_FILE_CHARS = 200_000;

/** Where a repository file belongs, or undefined for files never indexed (secrets, locks, builds). */
export function scopeOfPath(path: string): KnowledgeScope | undefined {
  if (NEVER.test(path)) return undefined;
  if (MARKDOWN.test(path) || DOC_TEXT.test(path) || /^docs\//i.test(path)) return 'docs';
  if (CODE.test(path) || /(^|\/)(Dockerfile|Makefile|\.env\.example|\.gitignore)$/.test(path)) return 'code';
  return undefined;
}

export function chunkDocument(path: string, text: string, scope: KnowledgeScope): Chunk[] {
  if (text.includes('\0') || text.length > MAX_FILE_CHARS) return [];
  const sections =
    MARKDOWN.test(path) || scope === 'history' ? markdownSections(text) : [{ lines: lines(text) }];
  return sections.flatMap(({ heading, lines: body }) =>
    windows(body, scope === 'code' ? CODE_CHUNK_WORDS : CHUNK_WORDS).map((piece) =>
      makeChunk(path, scope, heading, piece),
    ),
  );
}

function makeChunk(path: string, scope: KnowledgeScope, heading: string | undefined, text: string): Chunk {
  // The heading gives a section its context; the path is left to BM25 (its `path` field): in the
  // sentence encoder a path prefix lowered the similarity of code to questions about it.
  const embedText = heading && !text.startsWith('#') ? `${heading}\n${text}` : text;
  return {
    key: `${sha256(path).slice(0, 16)}-${sha256(`${heading ?? ''}\n${text}`).slice(0, 32)}`,
    path,
    scope,
    ...(heading ? { heading } : {}),
    text,
    embedText,
  };
}

function markdownSections(text: string): Array<{ heading?: string; lines: string[] }> {
  const sections: Array<{ heading?: string; lines: string[] }> = [];
  const trail: string[] = [];
  let current: { heading?: string; lines: string[] } = { lines: [] };
  let fenced = false;
  for (const line of lines(text)) {
    if (/^\s*(```|~~~)/.test(line)) fenced = !fenced;
    const heading = fenced ? null : /^(#{1,6})\s+(.+?)\s*#*\s*$/.exec(line);
    if (heading) {
      sections.push(current);
      const level = heading[1]?.length ?? 1;
      trail.length = level - 1;
      trail[level - 1] = heading[2] ?? '';
      current = { heading: trail.filter(Boolean).join(' > '), lines: [line] };
    } else {
      current.lines.push(line);
    }
  }
  sections.push(current);
  return sections.filter((s) => s.lines.some((l) => /\w/.test(l) && !/^#{1,6}\s/.test(l)) || s.heading);
}

/** Line windows of at most `size` words, each starting about 10% of `size` words before the last end. */
function windows(body: string[], size: number): string[] {
  const overlapWords = Math.round(size * 0.1);
  const units = body.flatMap((line) => {
    const words = countWords(line);
    if (words <= size) return [{ text: line, words }];
    const parts = line.split(/\s+/);
    const pieces: Array<{ text: string; words: number }> = [];
    for (let i = 0; i < parts.length; i += size - overlapWords)
      pieces.push({ text: parts.slice(i, i + size).join(' '), words: Math.min(size, parts.length - i) });
    return pieces;
  });
  const total = units.reduce((sum, u) => sum + u.words, 0);
  if (total === 0) return [];
  if (total <= size) return [trimBlank(units.map((u) => u.text).join('\n'))];
  const out: string[] = [];
  let start = 0;
  while (start < units.length) {
    let end = start;
    let words = 0;
    while (end < units.length && (end === start || words + (units[end]?.words ?? 0) <= size)) {
      words += units[end]?.words ?? 0;
      end++;
    }
    out.push(
      trimBlank(
        units
          .slice(start, end)
          .map((u) => u.text)
          .join('\n'),
      ),
    );
    if (end >= units.length) break;
    // Step back over the last lines worth about overlapWords words, but always move forward.
    let back = end;
    let overlap = 0;
    while (back - 1 > start && overlap + (units[back - 1]?.words ?? 0) <= overlapWords) {
      back--;
      overlap += units[back]?.words ?? 0;
    }
    start = back;
  }
  return out.filter((t) => t.length > 0);
}

const lines = (text: string) => text.replace(/\r\n?/g, '\n').split('\n');
const countWords = (line: string) => (line.match(/\S+/g) ?? []).length;
const trimBlank = (text: string) => text.replace(/^\s*\n/, '').trimEnd();
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
