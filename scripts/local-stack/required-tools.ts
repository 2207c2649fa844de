import { execFileSync } from 'node:child_process';

/**
 * Programs the local stack runs for real: git (the git host, the workers) and ansible-playbook
 * (the deployer). Checked before anything starts, so a missing one is a clear sentence instead of
 * a failed deploy ten minutes into a conversation.
 */
const TOOLS = [
  {
    command: 'git',
    args: ['--version'],
    install: 'sudo apt-get install -y git (macOS: xcode-select --install)',
  },
  {
    command: 'ansible-playbook',
    args: ['--version'],
    install:
      'sudo apt-get install -y --no-install-recommends ansible-core (macOS: brew install ansible; or pipx install ansible-core)',
  },
] as const;

export function missingTools(env: NodeJS.ProcessEnv = process.env): string[] {
  return TOOLS.flatMap((tool) => {
    try {
      execFileSync(tool.command, tool.args, { stdio: 'ignore', env });
      return [];
    } catch {
      return [`${tool.command} is not installed. Install it: ${tool.install}`];
    }
  });
}
