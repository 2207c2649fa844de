import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { envContractFor } from '../../../../lambdas/adapters/coding/env-contract-rules.ts';
import { endpointsFromSpec, ScriptedEngine } from '../../../../lambdas/adapters/coding/scripted-engine.ts';
import { tempDirs } from '../../../support/temp-dir.ts';

const SPEC = `# Weather bot
User stories:
- As a traveller, I want to get the forecast for a city, so that I can pack.
- As a user, I want to subscribe to daily alerts through the Telegram bot.
`;

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

async function readTree(dir: string, prefix = ''): Promise<Record<string, string>> {
  const tree: Record<string, string> = {};
  for (const entry of await readdir(join(dir, prefix), { withFileTypes: true })) {
    const path = join(prefix, entry.name);
    if (entry.isDirectory()) Object.assign(tree, await readTree(dir, path));
    else tree[path] = await readFile(join(dir, path), 'utf8');
  }
  return tree;
}

const task = (workdir: string, attempt = 1) => ({
  workdir,
  spec: SPEC,
  projectName: 'Weather Bot',
  attempt,
  maxTurns: 10,
});

describe('ScriptedEngine', () => {
  it('writes the same files for the same input, at zero tokens', async () => {
    // Prepare
    const [first, second] = [await dirs.make(), await dirs.make()];
    // Act
    const result = await new ScriptedEngine().run(task(first));
    await new ScriptedEngine().run(task(second));
    // Assess
    expect(await readTree(first)).toEqual(await readTree(second));
    expect(Object.keys(await readTree(first)).sort()).toEqual([
      '.env.example',
      '.gitignore',
      'README.md',
      'env.contract.json',
      'package.json',
      'scripts/lint.mjs',
      'src/app.mjs',
      'test/app.test.mjs',
      'test/env-contract.test.mjs',
    ]);
    expect(result).toMatchObject({
      outcome: 'done',
      modelId: 'scripted-engine',
      usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0 },
    });
    expect(result.summary).toContain('/health, /forecast, /subscribe');
  });

  it('derives the env contract from the spec with its documented rules', async () => {
    // Prepare
    const workdir = await dirs.make();
    // Act
    await new ScriptedEngine().run(task(workdir));
    // Assess
    const contract = JSON.parse(await readFile(join(workdir, 'env.contract.json'), 'utf8'));
    expect(contract).toEqual([
      { name: 'PORT', kind: 'config', default: '3000' },
      { name: 'TELEGRAM_BOT_TOKEN', kind: 'secret' },
      { name: 'WEATHER_API_KEY', kind: 'secret' },
    ]);
    const pkg = JSON.parse(await readFile(join(workdir, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'weather-bot', type: 'module', scripts: { test: 'node --test' } });
  });

  it.each([
    ['a plain spec', 'A page that says hello', ['PORT']],
    ['a database', 'Store notes in Postgres', ['PORT', 'DATABASE_URL']],
    [
      'mail and payments',
      'Send an email receipt after a Stripe payment',
      ['PORT', 'SMTP_URL', 'STRIPE_API_KEY'],
    ],
  ])('env contract rules: %s', (_, spec, names) => {
    expect(envContractFor(spec).map((variable) => variable.name)).toEqual(names);
  });

  it('falls back to one /info endpoint when the spec has no user stories', () => {
    expect(endpointsFromSpec('Just a landing page')).toEqual([
      { keyword: 'info', story: 'Just a landing page' },
    ]);
  });

  it('breaks /health on the attempts the fault setting names, and mentions the report on rework', async () => {
    // Prepare
    const engine = new ScriptedEngine({ failAttempts: 1 });
    const [first, second] = [await dirs.make(), await dirs.make()];
    // Act
    await engine.run(task(first, 1));
    const rework = await engine.run({ ...task(second, 2), testReport: 'tests failed: GET /health 500' });
    // Assess
    expect(await readFile(join(first, 'src/app.mjs'), 'utf8')).toContain("500, { status: 'broken' }");
    expect(await readFile(join(second, 'src/app.mjs'), 'utf8')).not.toContain("status: 'broken'");
    expect(rework.summary).toContain('after a red test report (tests failed: GET /health 500)');
  });

  it('stops before writing when aborted', async () => {
    const workdir = await dirs.make();
    await expect(
      new ScriptedEngine().run({ ...task(workdir), signal: AbortSignal.abort(new Error('stop')) }),
    ).rejects.toThrow('stop');
    expect(await readdir(workdir)).toEqual([]);
  });
});
