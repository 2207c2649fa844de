import { describe, expect, it } from 'vitest';
import { playbookRun } from '../../../containers/deployer/src/playbook-command.ts';
import type { DeployContext } from '../../../containers/shared/deploy-context.ts';
import type { DeployJob } from '../../../containers/shared/job.ts';

// The command line and inventory the deployer builds for the docker runner over SSH: the path that
// cannot run here (no Docker engine, no SSH server), so its invocation is checked as data.
const JOB: DeployJob = {
  runName: 'ops-weather-1a2b3c-d1',
  projectId: 'weather-1a2b3c',
  projectName: 'weather-1a2b3c',
  repository: 'acme/weather-1a2b3c',
  commit: 'a'.repeat(40),
  action: 'deploy',
  port: 8080,
  serverId: 'srv-1',
};
const SECRETS = {
  token: 'ghs_secret_token_value',
  env: 'wx_live_secret_value',
  key: '-----BEGIN OPENSSH PRIVATE KEY-----\nsecretkeymaterial\n-----END OPENSSH PRIVATE KEY-----',
  registry: 'registry_secret_password',
};
const SSH_CONTEXT: DeployContext = {
  token: SECRETS.token,
  cloneUrl: 'https://github.com/acme/weather-1a2b3c.git',
  env: { WEATHER_API_KEY: SECRETS.env, LOG_LEVEL: 'info' },
  server: {
    kind: 'ssh',
    host: '203.0.113.7',
    sshUser: 'deploy',
    sshPort: 2222,
    baseDir: '/srv',
    privateKey: SECRETS.key,
  },
  registry: { server: 'ghcr.io', username: 'acme-bot', password: SECRETS.registry },
};
const COMMON = {
  playbookDir: '/app/playbooks',
  workDir: '/tmp/deployer-x',
  ansiblePlaybook: '/usr/bin/ansible-playbook',
  nodeBin: '/usr/local/bin/node',
  parentEnv: { PATH: '/usr/bin', HOME: '/home/node', AWS_SECRET_ACCESS_KEY: 'never-passed-on' },
};

describe('playbookRun', () => {
  it('docker over ssh: values only in the environment, names and address on the command line', () => {
    // Act
    const run = playbookRun({
      ...COMMON,
      job: JOB,
      context: SSH_CONTEXT,
      runner: 'docker',
      releaseArchive: '/tmp/deployer-x/release.tar.gz',
      sshAuthSock: '/tmp/deployer-x/agent.sock',
    });
    // Assess
    const visible = [run.command, ...run.args, run.inventory.text].join('\n');
    for (const secret of Object.values(SECRETS)) expect(visible).not.toContain(secret);
    expect(run.args.at(-1)).toBe('/app/playbooks/deploy.yml');
    expect(run.args.slice(0, 2)).toEqual(['--inventory', '/tmp/deployer-x/inventory.json']);
    expect(JSON.parse(run.args[3] ?? '')).toEqual({
      app_name: 'weather-1a2b3c',
      base_dir: '/srv',
      port: 8080,
      runner: 'docker',
      result_file: '/tmp/deployer-x/result.json',
      release: JOB.commit,
      release_archive: '/tmp/deployer-x/release.tar.gz',
      env_names: ['LOG_LEVEL', 'WEATHER_API_KEY'],
      keep_releases: 5,
      app_image: 'node:22-bookworm-slim',
      registry_server: 'ghcr.io',
      registry_username: 'acme-bot',
    });
    expect(run.env).toMatchObject({
      DEPLOY_ENV_WEATHER_API_KEY: SECRETS.env,
      DEPLOY_ENV_LOG_LEVEL: 'info',
      DEPLOY_REGISTRY_PASSWORD: SECRETS.registry,
      SSH_AUTH_SOCK: '/tmp/deployer-x/agent.sock',
      PATH: '/usr/bin',
      HOME: '/home/node',
    });
    expect(Object.values(run.env)).not.toContain(SECRETS.key);
    expect(Object.values(run.env)).not.toContain(SECRETS.token);
    expect(run.env.AWS_SECRET_ACCESS_KEY).toBeUndefined();
    expect(JSON.parse(run.inventory.text)).toEqual({
      all: {
        hosts: {
          target: {
            ansible_connection: 'ssh',
            ansible_host: '203.0.113.7',
            ansible_port: 2222,
            ansible_user: 'deploy',
            ansible_python_interpreter: 'auto_silent',
            ansible_ssh_common_args:
              '-o StrictHostKeyChecking=accept-new -o UserKnownHostsFile=/tmp/deployer-x/known_hosts -o BatchMode=yes',
          },
        },
      },
    });
  });

  it('process runner on the local server: connection local with the running ansible python', () => {
    // Act
    const run = playbookRun({
      ...COMMON,
      job: { ...JOB, action: 'rollback' },
      context: { ...SSH_CONTEXT, registry: undefined, server: { ...SSH_CONTEXT.server, kind: 'local' } },
      runner: 'process',
    });
    // Assess: a rollback needs no release, no .env names and no values
    expect(run.args.at(-1)).toBe('/app/playbooks/rollback.yml');
    expect(JSON.parse(run.args[3] ?? '')).toEqual({
      app_name: 'weather-1a2b3c',
      base_dir: '/srv',
      port: 8080,
      runner: 'process',
      result_file: '/tmp/deployer-x/result.json',
      node_bin: '/usr/local/bin/node',
    });
    expect(JSON.parse(run.inventory.text).all.hosts.target).toEqual({
      ansible_connection: 'local',
      ansible_python_interpreter: '{{ ansible_playbook_python }}',
    });
    expect(run.env.SSH_AUTH_SOCK).toBeUndefined();
  });
});
