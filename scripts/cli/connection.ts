import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { API_KEY_FILE, API_URL_FILE } from '../local-stack/local-api-key.ts';
import { CliError, EXIT } from './exit-codes.ts';

export interface Connection {
  url: string;
  key: string;
  /** Where they came from, for error messages. */
  source: string;
}

/** The local stack's data dir: LOCAL_DATA_DIR (as `npm start` reads it), else this checkout's .local/data. */
export function localDataDir(env: NodeJS.ProcessEnv): string {
  return env.LOCAL_DATA_DIR
    ? resolve(env.LOCAL_DATA_DIR)
    : new URL('../../.local/data', import.meta.url).pathname;
}

/**
 * Which API to talk to, and with which key: --url/--key, else ORCHESTRATOR_URL/ORCHESTRATOR_API_KEY,
 * else the local stack's files in its data dir (written by `npm start`).
 */
export function resolveConnection(
  options: { url?: string; key?: string },
  env: NodeJS.ProcessEnv,
): Connection {
  const dataDir = localDataDir(env);
  const read = (file: string) => {
    try {
      return readFileSync(join(dataDir, file), 'utf8').trim();
    } catch {
      return undefined;
    }
  };
  const url = options.url ?? env.ORCHESTRATOR_URL ?? read(API_URL_FILE);
  const key = options.key ?? env.ORCHESTRATOR_API_KEY ?? read(API_KEY_FILE);
  if (!url) {
    throw new CliError(
      `No API URL: pass --url or set ORCHESTRATOR_URL, or start the local stack (npm start), which writes ${join(dataDir, API_URL_FILE)}.`,
      EXIT.usage,
    );
  }
  if (!key) {
    throw new CliError(
      `No API key: pass --key or set ORCHESTRATOR_API_KEY (the local stack writes ${join(dataDir, API_KEY_FILE)}).`,
      EXIT.auth,
    );
  }
  const source = options.url ? '--url' : env.ORCHESTRATOR_URL ? 'ORCHESTRATOR_URL' : dataDir;
  return { url: url.replace(/\/+$/, ''), key, source };
}
