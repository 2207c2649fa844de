import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { IMAGE_CONTEXT_EXCLUDES } from '../../../cdk/lib/constructs/worker-cluster.ts';

const run = promisify(execFile);
const ROOT = join(import.meta.dirname, '../../..');
const WORKERS = readdirSync(join(ROOT, 'containers')).filter((name) =>
  existsSync(join(ROOT, 'containers', name, 'Dockerfile')),
);

/**
 * No Docker engine runs here, so the images are checked by what decides whether `docker build`
 * can work: CDK builds each image from the repository root (worker-cluster.ts), so every COPY
 * source must exist there after `scripts/build-containers.ts` (as `cdk deploy` runs it, cdk.json)
 * and must not be left out of the context; and the bundle each image runs must load on its own.
 */
describe('worker images', () => {
  beforeAll(async () => {
    await run(process.execPath, ['--import', 'tsx', 'scripts/build-containers.ts'], { cwd: ROOT });
  }, 120_000);

  it.each(WORKERS)('%s: every COPY source is in the build context', (worker) => {
    const dockerfile = readFileSync(join(ROOT, 'containers', worker, 'Dockerfile'), 'utf8');
    const copies = dockerfile
      .split('\n')
      .filter((line) => /^COPY\s/.test(line) && !line.includes('--from='))
      .map((line) => line.replace(/--\S+/g, '').trim().split(/\s+/).slice(1, -1));
    expect(copies.length).toBeGreaterThan(0);
    for (const source of copies.flat()) {
      expect(existsSync(join(ROOT, source)), source).toBe(true);
      expect(IMAGE_CONTEXT_EXCLUDES.includes(source.split('/')[0] ?? ''), source).toBe(false);
    }
  });

  it.each(WORKERS)(
    '%s: the bundle starts and refuses to run without its job (exit 3, nothing reported)',
    async (worker) => {
      const bundle = join(ROOT, 'containers', worker, 'dist', 'main.mjs');
      const result = await run(process.execPath, [bundle], { env: { PATH: process.env.PATH ?? '' } }).then(
        () => ({ code: 0 }),
        (error: { code?: number }) => ({ code: error.code }),
      );
      expect(result.code).toBe(3);
    },
  );
});
