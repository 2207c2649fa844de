import { spawnSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ScriptedEngine } from '../../../lambdas/adapters/coding/scripted-engine.ts';
import { tempDirs } from '../../support/temp-dir.ts';

// The scripted project's own `npm test` and `npm run lint`, run for real in a fresh temp directory
// with no install and no network: what the tester worker runs on a clean checkout.
const SPEC = `As a traveller, I want to get the forecast for a city, so that I can pack.
As a user, I want to subscribe to daily alerts through the Telegram bot.`;

const dirs = tempDirs();
afterEach(() => dirs.cleanup());

function npm(workdir: string, script: string) {
  const { status, stdout, stderr } = spawnSync('npm', ['run', script], { cwd: workdir, encoding: 'utf8' });
  return { status, output: `${stdout}${stderr}` };
}

describe('scripted project', () => {
  it('passes its own tests and lint', async () => {
    // Prepare
    const workdir = await dirs.make();
    await new ScriptedEngine().run({ workdir, spec: SPEC, projectName: 'weather', attempt: 1, maxTurns: 1 });
    // Act
    const tests = npm(workdir, 'test');
    const lint = npm(workdir, 'lint');
    // Assess
    expect(tests.status, tests.output).toBe(0);
    expect(tests.output).toMatch(/# pass 5/);
    expect(tests.output).toMatch(/# fail 0/);
    expect(lint.status, lint.output).toBe(0);
  });

  it('is red on attempt 1 and green on attempt 2 with the fault setting', async () => {
    // Prepare
    const engine = new ScriptedEngine({ failAttempts: 1 });
    const workdir = await dirs.make();
    const task = { workdir, spec: SPEC, projectName: 'weather', maxTurns: 1 };
    // Act
    await engine.run({ ...task, attempt: 1 });
    const red = npm(workdir, 'test');
    await engine.run({ ...task, attempt: 2, testReport: red.output });
    const green = npm(workdir, 'test');
    // Assess
    expect(red.status).toBe(1);
    expect(red.output).toMatch(/# fail 1/);
    expect(green.status, green.output).toBe(0);
  });

  it('lint finds trailing whitespace and files that do not parse', async () => {
    // Prepare
    const workdir = await dirs.make();
    await new ScriptedEngine().run({ workdir, spec: SPEC, projectName: 'weather', attempt: 1, maxTurns: 1 });
    const app = join(workdir, 'src/app.mjs');
    await writeFile(app, `${await readFile(app, 'utf8')}const x = ;  \n`);
    // Act
    const lint = npm(workdir, 'lint');
    // Assess
    expect(lint.status).toBe(1);
    expect(lint.output).toContain('trailing whitespace');
    expect(lint.output).toContain('SyntaxError');
  });
});
