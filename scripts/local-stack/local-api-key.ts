import { chmod, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { apiKeysOf } from '../../lambdas/app/admin-api-wiring.ts';
import type { Runtime } from '../../lambdas/runtime/runtime.ts';

/** Where the local stack leaves the admin API's URL and the local admin's key for the CLI. */
export const API_KEY_FILE = 'api-key';
export const API_URL_FILE = 'api-url';

/**
 * On first start (or when the stored key no longer works, e.g. a wiped database), creates an API
 * key for the local admin and writes it to `<dataDir>/api-key` with mode 0600, so the CLI works
 * with no setup. Writes the API's URL to `<dataDir>/api-url` at every start. Returns the key file,
 * or undefined when no admin is configured.
 */
export async function ensureLocalApiKey(
  dataDir: string,
  runtime: Pick<Runtime, 'config' | 'store'>,
  apiUrl: string,
): Promise<string | undefined> {
  await writeFile(join(dataDir, API_URL_FILE), `${apiUrl}\n`, { mode: 0o600 });
  const [admin] = [...runtime.config.adminIds];
  if (admin === undefined) return undefined;
  const file = join(dataDir, API_KEY_FILE);
  const keys = apiKeysOf(runtime);
  const existing = (await readFile(file, 'utf8').catch(() => '')).trim();
  if (existing && (await keys.authenticate(existing)).kind === 'valid') return file;
  const issued = await keys.create(
    { userId: admin, role: 'admin' },
    { ownerId: admin, name: 'local admin (npm start)' },
  );
  await writeFile(file, `${issued.secret}\n`, { mode: 0o600 });
  await chmod(file, 0o600);
  return file;
}
