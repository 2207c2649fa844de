import { build } from 'esbuild';

/**
 * Bundles each worker's main.ts into `containers/<worker>/dist/main.mjs`, the one file its
 * Dockerfile copies (no node_modules in the image; the deployer's image also copies its
 * `playbooks/`, read from `../playbooks` beside `dist/`). Run: `npx tsx scripts/build-containers.ts`.
 */
const WORKERS = ['coding-worker', 'tester', 'deployer'];

for (const worker of WORKERS) {
  await build({
    entryPoints: [`containers/${worker}/src/main.ts`],
    outfile: `containers/${worker}/dist/main.mjs`,
    bundle: true,
    platform: 'node',
    target: 'node22',
    format: 'esm',
    minify: true,
    sourcemap: true,
    // Some bundled CommonJS dependencies call require() for Node built-ins.
    banner: {
      js: "import { createRequire } from 'node:module'; const require = createRequire(import.meta.url);",
    },
    logLevel: 'warning',
  });
  console.log(`built containers/${worker}/dist/main.mjs`);
}
