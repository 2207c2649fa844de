import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { stopLocalServices } from '../../containers/deployer/src/local-services.ts';
import { playbookRun } from '../../containers/deployer/src/playbook-command.ts';
import { startSshAgent } from '../../containers/deployer/src/ssh-agent.ts';
import { runCommand } from '../../containers/shared/run-command.ts';
import { projectFiles } from '../../lambdas/adapters/coding/scripted-project.ts';

// The deployer's pieces against the real tools: the playbooks parse (the docker runner cannot run
// here: no Docker engine, no SSH server), a verbose play prints no .env value, the ssh-agent takes
// a key on stdin.
const PLAYBOOKS = fileURLToPath(new URL('../../containers/deployer/playbooks/', import.meta.url));
const QUIET = { encoding: 'utf8' as const, stdio: ['ignore', 'pipe', 'pipe'] as ['ignore', 'pipe', 'pipe'] };
const dirs: string[] = [];
const tempDir = async (prefix: string) => {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
};

afterAll(async () => {
  for (const dir of dirs) await stopLocalServices(dir);
  await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
});

describe('deployer playbooks and tools', () => {
  it.each(['deploy.yml', 'rollback.yml'])('%s passes ansible-playbook --syntax-check', (playbook) => {
    const out = execFileSync(
      'ansible-playbook',
      ['--syntax-check', '-i', 'target,', join(PLAYBOOKS, playbook)],
      QUIET,
    );
    expect(out).toContain(`playbook: ${join(PLAYBOOKS, playbook)}`);
  });

  it('a -vvv deploy writes the .env and prints none of its values', { timeout: 120_000 }, async () => {
    // Prepare: the scripted app as a release tarball
    const secret = 'wx_live_verbose_9d8c7b6a5f4e';
    const work = await tempDir('deploy-verbose-');
    const baseDir = await tempDir('deploy-verbose-base-');
    const source = join(work, 'source');
    const files = projectFiles({
      projectName: 'weather',
      packageName: 'weather',
      endpoints: [],
      env: [{ name: 'WEATHER_API_KEY', kind: 'secret', description: 'key' }],
      broken: false,
    });
    for (const [path, text] of Object.entries(files)) {
      await mkdir(dirname(join(source, path)), { recursive: true });
      await writeFile(join(source, path), text);
    }
    execFileSync('tar', ['-czf', join(work, 'release.tar.gz'), '-C', source, '.'], QUIET);
    const port = 20_000 + Math.floor(Math.random() * 20_000);
    const play = playbookRun({
      job: {
        runName: 'r',
        projectId: 'weather-1',
        projectName: 'weather',
        repository: 'org/weather',
        commit: 'abcdef1',
        action: 'deploy',
        port,
        serverId: 'local',
      },
      context: {
        token: 'unused',
        cloneUrl: 'unused',
        env: { WEATHER_API_KEY: secret },
        server: { kind: 'local', host: '127.0.0.1', sshUser: 'x', sshPort: 22, baseDir },
      },
      runner: 'process',
      playbookDir: PLAYBOOKS,
      workDir: work,
      releaseArchive: join(work, 'release.tar.gz'),
      ansiblePlaybook: 'ansible-playbook',
      nodeBin: process.execPath,
      parentEnv: process.env,
    });
    await writeFile(play.inventory.path, play.inventory.text);
    // Act
    const result = await runCommand(play.command, ['-vvv', ...play.args], {
      cwd: work,
      env: play.env,
      timeoutMs: 110_000,
      tailChars: 2_000_000,
    });
    // Assess
    expect(result.exitCode, result.outputTail.slice(-3_000)).toBe(0);
    expect(result.outputTail).toContain("'no_log: true' was specified"); // verbose, and censored
    expect(result.outputTail).not.toContain(secret);
    expect(await readFile(join(baseDir, 'apps/weather/shared/.env'), 'utf8')).toBe(
      `WEATHER_API_KEY=${secret}\n`,
    );
  });

  it('a rollback with nothing to restore changes nothing and says so', { timeout: 60_000 }, async () => {
    // Prepare: an app that was never deployed
    const work = await tempDir('deploy-rollback-');
    const baseDir = await tempDir('deploy-rollback-base-');
    const play = playbookRun({
      job: {
        runName: 'r',
        projectId: 'weather-1',
        projectName: 'weather',
        repository: 'org/weather',
        commit: 'abcdef1',
        action: 'rollback',
        port: 20_000,
        serverId: 'local',
      },
      context: {
        token: 'unused',
        cloneUrl: 'unused',
        env: {},
        server: { kind: 'local', host: '127.0.0.1', sshUser: 'x', sshPort: 22, baseDir },
      },
      runner: 'process',
      playbookDir: PLAYBOOKS,
      workDir: work,
      ansiblePlaybook: 'ansible-playbook',
      nodeBin: process.execPath,
      parentEnv: process.env,
    });
    await writeFile(play.inventory.path, play.inventory.text);
    // Act
    const result = await runCommand(play.command, play.args, { cwd: work, env: play.env, timeoutMs: 50_000 });
    // Assess
    expect(result.exitCode, result.outputTail).toBe(0);
    expect(JSON.parse(await readFile(play.resultFile, 'utf8'))).toEqual({ restored: '', log_tail: '' });
  });

  it('ssh-agent holds a key given on stdin', { timeout: 30_000 }, async () => {
    // Prepare: a throwaway key (the test's own file; the worker never writes one)
    const dir = await tempDir('deploy-agent-');
    execFileSync(
      'ssh-keygen',
      ['-q', '-t', 'ed25519', '-N', '', '-C', 'deploy-test', '-f', join(dir, 'k')],
      QUIET,
    );
    const privateKey = await readFile(join(dir, 'k'), 'utf8');
    const agentDir = await tempDir('deploy-agent-sock-');
    // Act
    const agent = await startSshAgent({ dir: agentDir, privateKey, lifetimeSeconds: 60 });
    try {
      // Assess
      const listed = execFileSync('ssh-add', ['-l'], { ...QUIET, env: { SSH_AUTH_SOCK: agent.socket } });
      expect(listed).toContain('deploy-test (ED25519)');
    } finally {
      agent.stop();
    }
  });

  it('ssh-agent refuses garbage as a key, without echoing it', { timeout: 30_000 }, async () => {
    const agentDir = await tempDir('deploy-agent-bad-');
    await expect(
      startSshAgent({ dir: agentDir, privateKey: 'not-a-key-secret-material', lifetimeSeconds: 60 }),
    ).rejects.toMatchObject({
      name: 'SshAgentError',
      message: expect.not.stringContaining('secret-material'),
    });
  });
});
