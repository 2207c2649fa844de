import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * An ssh-agent for one deploy, holding the server's key: the key goes to `ssh-add -` on stdin and
 * is never written to disk. The agent runs in the foreground (`-D`) as our child and is stopped
 * when the deploy ends; the key also expires on its own after `lifetimeSeconds` in case we die.
 */
export class SshAgentError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SshAgentError';
  }
}

export interface SshAgent {
  socket: string;
  stop(): void;
}

export async function startSshAgent(options: {
  /** A private directory (0700): the socket lives there. */
  dir: string;
  privateKey: string;
  lifetimeSeconds: number;
  path?: string;
}): Promise<SshAgent> {
  const socket = join(options.dir, 'agent.sock');
  const env = { PATH: options.path ?? '/usr/bin:/bin', SSH_AUTH_SOCK: socket };
  const agent = spawn('ssh-agent', ['-D', '-a', socket], { env, stdio: 'ignore' });
  const stop = () => {
    if (agent.exitCode === null) agent.kill('SIGTERM');
  };
  try {
    await new Promise<void>((resolve, reject) => {
      agent.once('error', (error) => reject(new SshAgentError(`ssh-agent did not start: ${error.message}`)));
      agent.once('exit', (code) => reject(new SshAgentError(`ssh-agent exited (${code})`)));
      const started = Date.now();
      const poll = setInterval(() => {
        if (existsSync(socket)) {
          clearInterval(poll);
          resolve();
        } else if (Date.now() - started > 5_000) {
          clearInterval(poll);
          reject(new SshAgentError('ssh-agent did not open its socket'));
        }
      }, 20);
    });
    await addKey(options.privateKey, options.lifetimeSeconds, env);
    return { socket, stop };
  } catch (error) {
    stop();
    throw error;
  }
}

function addKey(privateKey: string, lifetimeSeconds: number, env: Record<string, string>): Promise<void> {
  return new Promise((resolve, reject) => {
    const add = spawn('ssh-add', ['-q', '-t', String(lifetimeSeconds), '-'], {
      env,
      stdio: ['pipe', 'ignore', 'pipe'],
    });
    let stderr = '';
    add.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    add.on('error', (error) => reject(new SshAgentError(`ssh-add did not start: ${error.message}`)));
    // ssh-add's messages name the key file ("(stdin)"), never the key.
    add.on('close', (code) =>
      code === 0 ? resolve() : reject(new SshAgentError(`ssh-add failed (${code}): ${stderr.trim()}`)),
    );
    add.stdin.end(privateKey.endsWith('\n') ? privateKey : `${privateKey}\n`);
  });
}
