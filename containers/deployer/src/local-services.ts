import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * Stops every app the local runner supervises under `baseDir` (`<baseDir>/apps/<app>/`), with the
 * supervisor each app was deployed with (`supervisor.mjs stop`), so the stopping rules live in one
 * place. For tests' afterAll and the local stack's shutdown. Returns the apps it stopped.
 */
export async function stopLocalServices(baseDir: string): Promise<string[]> {
  const appsDir = join(baseDir, 'apps');
  const apps = await readdir(appsDir).catch(() => [] as string[]);
  const stopped: string[] = [];
  await Promise.all(
    apps.map(async (app) => {
      const appDir = join(appsDir, app);
      const supervisor = join(appDir, 'supervisor.mjs');
      if (!existsSync(supervisor)) return;
      await promisify(execFile)(process.execPath, [supervisor, 'stop', appDir], { timeout: 30_000 });
      stopped.push(app);
    }),
  );
  return stopped.sort();
}
