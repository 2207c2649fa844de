import { join } from 'node:path';
import type { DeployContext } from '../../shared/deploy-context.ts';
import type { DeployJob } from '../../shared/job.ts';

/**
 * The ansible-playbook invocation for one job, pure so a unit test can read it. Values of the .env
 * and the registry password travel only in ansible's process environment (`DEPLOY_ENV_<NAME>`,
 * `DEPLOY_REGISTRY_PASSWORD`) and are read by `lookup('ansible.builtin.env')` under `no_log`; the
 * command line and the inventory carry names, paths and the server's address, never a secret.
 */
export type Runner = 'process' | 'docker';

export interface PlaybookInput {
  job: DeployJob;
  context: DeployContext;
  runner: Runner;
  /** containers/deployer/playbooks (deploy.yml, rollback.yml). */
  playbookDir: string;
  /** The run's private temp directory: inventory, known_hosts, ansible's temp, the result. */
  workDir: string;
  /** The `git archive` tarball of the commit (deploy only). */
  releaseArchive?: string;
  ansiblePlaybook: string;
  /** The node that runs the local supervisor (runner `process` on a `local` server). */
  nodeBin: string;
  /** Where PATH, HOME and LANG come from; nothing else of it reaches ansible. */
  parentEnv: NodeJS.ProcessEnv;
  /** The ssh-agent holding the server's key (ssh servers). */
  sshAuthSock?: string;
  keepReleases?: number;
  appImage?: string;
}

export interface PlaybookRun {
  command: string;
  args: string[];
  /** ansible-playbook's whole environment. */
  env: Record<string, string>;
  inventory: { path: string; text: string };
  /** Where the play writes `{ release, previous }` or `{ restored }` as JSON. */
  resultFile: string;
}

export const DEFAULT_APP_IMAGE = 'node:22-bookworm-slim';

export function playbookRun(input: PlaybookInput): PlaybookRun {
  const { job, context, workDir } = input;
  const { server } = context;
  const inventoryPath = join(workDir, 'inventory.json');
  const resultFile = join(workDir, 'result.json');
  const vars: Record<string, unknown> = {
    app_name: job.projectName,
    base_dir: server.baseDir,
    port: job.port,
    runner: input.runner,
    result_file: resultFile,
    ...(job.action === 'deploy'
      ? {
          release: job.commit,
          release_archive: input.releaseArchive,
          env_names: Object.keys(context.env).sort(),
          keep_releases: input.keepReleases ?? 5,
        }
      : {}),
    ...(input.runner === 'process' ? { node_bin: server.kind === 'local' ? input.nodeBin : 'node' } : {}),
    ...(input.runner === 'docker'
      ? {
          app_image: input.appImage ?? DEFAULT_APP_IMAGE,
          ...(context.registry
            ? { registry_server: context.registry.server, registry_username: context.registry.username }
            : {}),
        }
      : {}),
  };
  const env: Record<string, string> = {
    PATH: input.parentEnv.PATH ?? '/usr/bin:/bin',
    HOME: input.parentEnv.HOME ?? workDir,
    LANG: input.parentEnv.LANG ?? 'C.UTF-8',
    ANSIBLE_NOCOLOR: '1',
    ANSIBLE_RETRY_FILES_ENABLED: '0',
    ANSIBLE_LOCAL_TEMP: join(workDir, 'ansible-tmp'),
    // Fewer round trips per task over ssh; harmless locally.
    ANSIBLE_PIPELINING: '1',
    ...(input.sshAuthSock ? { SSH_AUTH_SOCK: input.sshAuthSock } : {}),
    ...(context.registry ? { DEPLOY_REGISTRY_PASSWORD: context.registry.password } : {}),
  };
  for (const [name, value] of Object.entries(context.env)) env[`DEPLOY_ENV_${name}`] = value;
  return {
    command: input.ansiblePlaybook,
    args: [
      '--inventory',
      inventoryPath,
      '--extra-vars',
      JSON.stringify(vars),
      join(input.playbookDir, job.action === 'deploy' ? 'deploy.yml' : 'rollback.yml'),
    ],
    env,
    inventory: { path: inventoryPath, text: `${JSON.stringify(inventory(context, workDir), null, 2)}\n` },
    resultFile,
  };
}

function inventory(context: DeployContext, workDir: string) {
  const { server } = context;
  const host =
    server.kind === 'local'
      ? {
          ansible_connection: 'local',
          // The python of the running ansible: the same modules, whatever the PATH says.
          ansible_python_interpreter: '{{ ansible_playbook_python }}',
        }
      : {
          ansible_connection: 'ssh',
          ansible_host: server.host,
          ansible_port: server.sshPort,
          ansible_user: server.sshUser,
          ansible_python_interpreter: 'auto_silent',
          // accept-new: the context carries no host key to pin, and the servers are ours and fresh,
          // so the first key seen is trusted for this run (TOFU) while a CHANGED key is still refused.
          // known_hosts is a per-run temp file: nothing of one server leaks into another's run.
          // BatchMode: never prompt; the key comes from the ssh-agent only (no key file on disk).
          ansible_ssh_common_args: [
            '-o StrictHostKeyChecking=accept-new',
            `-o UserKnownHostsFile=${join(workDir, 'known_hosts')}`,
            '-o BatchMode=yes',
          ].join(' '),
        };
  return { all: { hosts: { target: host } } };
}
