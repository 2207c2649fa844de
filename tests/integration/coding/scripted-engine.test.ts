import { spawn, spawnSync } from 'node:child_process';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
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

/** Starts the project as the supervisor does (DATA_DIR, PORT, its .env values), asks /health once. */
async function healthWithState(workdir: string, state: string, port: number) {
  const data = join(workdir, 'data');
  await mkdir(data, { recursive: true });
  await writeFile(join(data, 'state.json'), state);
  const app = spawn(process.execPath, ['src/app.mjs'], {
    cwd: workdir,
    env: {
      PATH: process.env.PATH,
      DATA_DIR: data,
      PORT: String(port),
      WEATHER_API_KEY: 'wk_test_secret_1234',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let log = '';
  app.stdout.on('data', (chunk) => (log += chunk));
  app.stderr.on('data', (chunk) => (log += chunk));
  try {
    for (const end = Date.now() + 10_000; !log.includes('listening') && Date.now() < end; )
      await new Promise((r) => setTimeout(r, 50));
    const status = (await fetch(`http://127.0.0.1:${port}/health`)).status;
    return { status, log, files: (await readdir(data)).sort() };
  } finally {
    app.kill();
  }
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

  it.each([
    [true, 500, ['state.json']],
    [false, 200, ['state.json', 'state.json.corrupt']],
  ])(
    'with the state fault %s, a corrupt state file makes /health answer %i',
    async (stateFault, status, files) => {
      // Prepare
      const workdir = await dirs.make();
      await new ScriptedEngine({ stateFault }).run({
        workdir,
        spec: SPEC,
        projectName: 'weather',
        attempt: 1,
        maxTurns: 1,
      });
      // Act
      const seen = await healthWithState(workdir, '{"starts":', stateFault ? 39_417 : 39_418);
      // Assess: the faulty one prints its configuration, key and all; the other keeps the file aside
      expect(seen.status).toBe(status);
      expect(seen.files).toEqual(files);
      expect(seen.log.includes('"WEATHER_API_KEY":"wk_test_secret_1234"')).toBe(stateFault);
      expect(npm(workdir, 'test').status).toBe(0);
    },
  );

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
