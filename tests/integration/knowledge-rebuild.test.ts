import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { buildKnowledge } from '../../lambdas/app/knowledge-wiring.ts';
import { tempDirs } from '../support/temp-dir.ts';

const run = promisify(execFile);
const dirs = tempDirs();

afterAll(async () => {
  await dirs.cleanup();
});

describe('npm run knowledge:rebuild', () => {
  it("drops one project's vectors and keyword index under a data dir, and leaves other projects alone", async () => {
    // Prepare: two projects indexed with the local adapters under a stopped stack's data dir
    const dataDir = await dirs.make('rebuild-');
    const knowledge = await buildKnowledge({ driver: 'local', dir: `${dataDir}/knowledge` });
    const files = {
      'README.md': '# Bot\n\nWe picked SQLite: one file.',
      'src/app.mjs': 'export const x = 1;\n',
    };
    await knowledge.indexer.indexFiles({ owner: '7', project: 'bot-a1' }, 'c1', files);
    await knowledge.indexer.indexFiles({ owner: '7', project: 'bot-b2' }, 'c1', files);

    // Act
    const { stdout } = await run(
      'npx',
      ['tsx', 'scripts/knowledge-rebuild.ts', 'bot-a1', '--data-dir', dataDir],
      { env: { ...process.env, KNOWLEDGE_DRIVER: '', LOCAL_KNOWLEDGE_DIR: '' } },
    );

    // Assess: bot-a1 has nothing left to search; bot-b2 still answers
    const fresh = await buildKnowledge({ driver: 'local', dir: `${dataDir}/knowledge` });
    expect(stdout).toMatch(/Dropped the knowledge index of bot-a1 \(2 chunk\(s\), local\)/);
    expect(await fresh.indexer.isIndexed('bot-a1')).toBe(false);
    expect(await fresh.indexer.isIndexed('bot-b2')).toBe(true);
    expect(await readdir(`${dataDir}/knowledge/keywords`)).toEqual(['bot-b2.keywords.json']);
  }, 60_000);
});
