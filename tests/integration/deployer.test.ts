import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { mkdtemp, readlink, rm, stat, writeFile } from 'node:fs/promises';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stopLocalServices } from '../../containers/deployer/src/local-services.ts';
import { type LocalWorkerRun, runLocalWorker } from '../../containers/shared/local-worker-process.ts';
import { projectFiles } from '../../lambdas/adapters/coding/scripted-project.ts';
import { type BareRepo, createBareRepo } from '../support/bare-repo.ts';

// The deployer's main.ts as the local stack runs it (a child process, context and callbacks over
// IPC), real ansible-playbook with the `process` runner, the app the scripted engine writes.
const SECRET = 'wx_live_5f3c9a1e7b2d4c6f8a0b';
const TOKEN = 'ghs_deploytoken_0123456789abcdef';
const QUIET = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };

function appFiles(broken: boolean, story = 'As a traveller, I want the forecast for a city.') {
  return projectFiles({
    projectName: 'weather',
    packageName: 'weather',
    endpoints: [{ keyword: 'forecast', story }],
    env: [{ name: 'WEATHER_API_KEY', kind: 'secret', description: 'API key of the weather provider' }],
    broken,
    // The broken releases also print their configuration (the key) when their state is corrupt.
    stateFault: broken,
  });
}

/** Commits `files` on top of main in the bare repository; returns the new commit. */
async function pushCommit(repo: BareRepo, files: Record<string, string>): Promise<string> {
  const seed = await mkdtemp(join(tmpdir(), 'deploy-seed-'));
  execFileSync('git', ['clone', '-q', repo.url, seed], QUIET);
  for (const [path, text] of Object.entries(files)) await writeFile(join(seed, path), text);
  const author = ['-c', 'user.name=seed', '-c', 'user.email=seed@example.com'];
  execFileSync('git', ['-C', seed, ...author, 'commit', '-qam', 'change'], QUIET);
  execFileSync('git', ['-C', seed, 'push', '-q', 'origin', 'main'], QUIET);
  await rm(seed, { recursive: true, force: true });
  return repo.git('rev-parse', 'main');
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

async function health(port: number): Promise<number | string> {
  try {
    return (await fetch(`http://127.0.0.1:${port}/health`, { signal: AbortSignal.timeout(2_000) })).status;
  } catch (error) {
    return String((error as Error).cause ?? error);
  }
}

async function until<T>(what: string, probe: () => Promise<T> | T, ok: (value: T) => boolean, ms = 20_000) {
  let last: T | undefined;
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 100))) {
    last = await probe();
    if (ok(last)) return last;
  }
  throw new Error(`${what}: still ${JSON.stringify(last)} after ${ms} ms`);
}

/** Processes whose command line mentions `text` (e.g. ansible-playbook runs for one base dir). */
function processesMentioning(text: string, not: number[] = []): string[] {
  return readdirSync('/proc')
    .filter((pid) => /^\d+$/.test(pid) && !not.includes(Number(pid)))
    .flatMap((pid) => {
      try {
        const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ');
        return cmdline.includes(text) ? [`${pid} ${cmdline}`] : [];
      } catch {
        return [];
      }
    });
}

describe('deployer (process runner, real ansible-playbook)', () => {
  let repo: BareRepo;
  let baseDir: string;
  let port: number;
  let good: string;
  let broken: string;
  let brokenAgain: string;
  const outputs: string[] = [];
  const appDir = () => join(baseDir, 'apps', 'weather');

  beforeAll(async () => {
    repo = await createBareRepo(appFiles(false));
    good = repo.git('rev-parse', 'main');
    broken = await pushCommit(repo, appFiles(true));
    brokenAgain = await pushCommit(repo, appFiles(true, 'As a traveller, I want tomorrow too.'));
    baseDir = await mkdtemp(join(tmpdir(), 'deploy-base-'));
    port = await freePort();
  });

  afterAll(async () => {
    await stopLocalServices(baseDir);
    await rm(baseDir, { recursive: true, force: true });
    await repo.close();
  });

  function deployer(action: 'deploy' | 'rollback', commit: string) {
    const seen = { contexts: 0, heartbeats: 0, successes: [] as unknown[], failures: [] as unknown[] };
    const run: LocalWorkerRun = runLocalWorker({
      worker: 'deployer',
      job: {
        runName: 'ops-weather-1a2b3c-d1',
        projectId: 'weather-1a2b3c',
        projectName: 'weather',
        repository: 'org/weather',
        commit,
        action,
        port,
        serverId: 'local',
      },
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', HEARTBEAT_SECONDS: '1' },
      handlers: {
        async context() {
          seen.contexts++;
          return {
            token: TOKEN,
            cloneUrl: repo.url,
            env: { WEATHER_API_KEY: SECRET, LOG_LEVEL: 'info' },
            server: { kind: 'local', host: '127.0.0.1', sshUser: 'deploy', sshPort: 22, baseDir },
          };
        },
        async heartbeat() {
          seen.heartbeats++;
        },
        async success(output) {
          seen.successes.push(output);
        },
        async failure(error, cause) {
          seen.failures.push({ error, cause });
        },
      },
    });
    const finished = run.exited.then((code) => {
      outputs.push(run.output());
      return code;
    });
    return { run, seen, finished };
  }

  it('deploys a release that answers, with a 0600 .env holding the secret', {
    timeout: 120_000,
  }, async () => {
    // Act
    const { seen, finished, run } = deployer('deploy', good);
    // Assess
    expect(await finished, run.output()).toBe(0);
    expect(seen.failures).toEqual([]);
    expect(seen.successes).toEqual([
      { action: 'deploy', release: good, previousRelease: null, url: `http://127.0.0.1:${port}` },
    ]);
    expect(await health(port)).toBe(200);
    expect(await readlink(join(appDir(), 'current'))).toBe(`releases/${good}`);
    const envFile = join(appDir(), 'shared', '.env');
    expect((await stat(envFile)).mode & 0o777).toBe(0o600);
    expect(readFileSync(envFile, 'utf8')).toContain(`WEATHER_API_KEY=${SECRET}\n`);
    // The supervisor reads the .env itself: neither it nor the app has a secret on its command line.
    const supervisor = readFileSync(join(appDir(), 'supervisor.pid'), 'utf8').trim();
    const app = readFileSync(join(appDir(), 'app.pid'), 'utf8').trim();
    for (const file of [`/proc/${supervisor}/cmdline`, `/proc/${supervisor}/environ`, `/proc/${app}/cmdline`])
      expect(readFileSync(file, 'utf8'), file).not.toContain(SECRET);
  });

  it('deploys a broken release: switched, /health answers 500', { timeout: 120_000 }, async () => {
    // Its state (kept across releases) is corrupt: the broken release logs its key as it starts.
    await writeFile(join(appDir(), 'shared', 'data', 'state.json'), '{"starts":');
    const { seen, finished, run } = deployer('deploy', broken);
    expect(await finished, run.output()).toBe(0);
    expect(seen.successes).toEqual([
      { action: 'deploy', release: broken, previousRelease: good, url: `http://127.0.0.1:${port}` },
    ]);
    expect(await health(port)).toBe(500);
  });

  it('rolls back to the good release', { timeout: 120_000 }, async () => {
    const { seen, finished, run } = deployer('rollback', broken);
    expect(await finished, run.output()).toBe(0);
    expect(seen.successes).toEqual([{ action: 'rollback', restored: good, logTail: expect.any(String) }]);
    // The failed release's log tail, read before the good release started, with the key redacted.
    const { logTail } = seen.successes[0] as { logTail: string };
    expect(logTail).toMatch(/state \S+state\.json is unreadable/);
    expect(logTail).toContain('"WEATHER_API_KEY":"***"');
    expect(logTail).not.toContain(SECRET);
    expect(logTail.split('\n').length).toBeLessThanOrEqual(40);
    expect(await health(port)).toBe(200);
    expect(await readlink(join(appDir(), 'current'))).toBe(`releases/${good}`);
  });

  it('dies with ansible when SIGKILLed mid-deploy: nothing reported, the live release keeps answering', {
    timeout: 120_000,
  }, async () => {
    // Prepare: a broken release, so a deploy that went on without its worker would show as 500
    const { seen, finished, run } = deployer('deploy', brokenAgain);
    await until(
      'the play to make the release directory',
      () => existsSync(join(appDir(), 'releases', brokenAgain)),
      Boolean,
      60_000,
    );
    expect(processesMentioning(baseDir).some((line) => line.includes('deploy.yml'))).toBe(true);
    // Act
    run.kill('SIGKILL');
    // Assess
    expect(await finished).toBeNull();
    expect(seen.successes).toEqual([]);
    expect(seen.failures).toEqual([]);
    // This run's play only (its extra vars name the base dir): other tests may run plays meanwhile.
    const plays = () => processesMentioning(baseDir).filter((line) => line.includes('deploy.yml'));
    await until('ansible to be gone', plays, (left) => left.length === 0);
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    expect(await health(port)).toBe(200);
    expect(await readlink(join(appDir(), 'current'))).toBe(`releases/${good}`);
  });

  it('restarts a crashed app', { timeout: 60_000 }, async () => {
    // Prepare
    const crashed = Number(readFileSync(join(appDir(), 'app.pid'), 'utf8'));
    // Act: kill the app's whole process group (npm and node) as a crash would
    process.kill(-crashed, 'SIGKILL');
    // Assess
    const restarted = await until(
      'a new app process',
      () => Number(readFileSync(join(appDir(), 'app.pid'), 'utf8')),
      (pid) => pid !== crashed,
    );
    expect(restarted).not.toBe(crashed);
    await until(
      'the restarted app to answer',
      () => health(port),
      (status) => status === 200,
    );
    expect(readFileSync(join(appDir(), 'app.log'), 'utf8')).toMatch(
      /app exited \(SIGKILL\); restart in 500 ms/,
    );
  });

  it('printed no secret in any output', () => {
    expect(outputs.length).toBe(4);
    for (const output of outputs) {
      expect(output).not.toContain(SECRET);
      expect(output).not.toContain(TOKEN);
    }
  });

  it('stopLocalServices stops every supervised app', { timeout: 60_000 }, async () => {
    expect(await stopLocalServices(baseDir)).toEqual(['weather']);
    expect(await health(port)).not.toBe(200);
    expect(processesMentioning(join(appDir(), 'supervisor.mjs'))).toEqual([]);
  });
  it('refuses to start a release on a port another program holds: the deploy fails saying so', {
    timeout: 120_000,
  }, async () => {
    // Prepare: a stranger answers 200 on the app's port, as a smoke test would gladly accept
    const stranger = createHttpServer((_req, res) => res.writeHead(200).end('not yours'));
    await new Promise<void>((resolve, reject) => {
      stranger.once('error', reject);
      stranger.listen(port, '127.0.0.1', resolve);
    });
    try {
      // Act
      const { seen, finished, run } = deployer('deploy', good);

      // Assess: failed, with the reason in what the run is told; the stranger still has its port
      expect(await finished, run.output()).not.toBe(0);
      expect(seen.successes).toEqual([]);
      expect(JSON.stringify(seen.failures)).toContain(`port ${port} is in use by another program`);
      expect(JSON.stringify(seen.failures)).not.toContain(SECRET);
      expect(await health(port)).toBe(200);
      expect(processesMentioning(join(appDir(), 'supervisor.mjs'))).toEqual([]);
    } finally {
      await new Promise((resolve) => stranger.close(resolve));
    }
  });
});
