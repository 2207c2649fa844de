/**
 * `npx tsx scripts/bench/bundle-what-if.ts`: how much smaller the webhook bundle would be after
 * each candidate change, simulated at bundle time (no source edited). Sizes only; the changes
 * themselves still have to be made and tested in lambdas/ and the CDK construct.
 */
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { type BuildOptions, build, type Plugin } from 'esbuild';
import { LAMBDA_BUNDLE_OPTIONS } from './bundle.ts';
import { table } from './stats.ts';

const ROOT = resolve(import.meta.dirname, '../..');
const OUT = join(ROOT, '.bench/what-if');

/** zod's `z` namespace re-exports every locale; only `en` is used (zod configures it itself). */
const dropZodLocales: Plugin = {
  name: 'drop-zod-locales',
  setup(b) {
    b.onResolve({ filter: /locales\/index\.js$/ }, (args) =>
      args.importer.includes('/zod/') ? { path: 'zod-locales', namespace: 'what-if-empty' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'what-if-empty' }, () => ({ contents: 'export {};', loader: 'js' }));
  },
};

/** grammY's web build uses the global fetch (Node 18+) instead of node-fetch + whatwg-url + tr46. */
const grammyWeb: Plugin = {
  name: 'grammy-web',
  setup(b) {
    b.onResolve({ filter: /^grammy$/ }, async (args) => {
      const web = await b.resolve('grammy/web', { kind: args.kind, resolveDir: args.resolveDir });
      return { path: web.path };
    });
  },
};

const sdkExternal: BuildOptions = { external: ['@aws-sdk/*'] };

async function size(name: string, entry: string, plugins: Plugin[] = [], extra: BuildOptions = {}) {
  const outfile = join(OUT, `${name.replace(/[^a-z0-9]+/gi, '-')}.mjs`);
  await build({
    ...LAMBDA_BUNDLE_OPTIONS,
    sourcemap: false,
    ...extra,
    entryPoints: [entry],
    outfile,
    plugins,
  });
  return { name, bytes: (await stat(outfile)).size };
}

async function main(): Promise<void> {
  await mkdir(OUT, { recursive: true });
  const ours = join(ROOT, 'lambdas/handlers/webhook.ts');
  const baseline = join(ROOT, 'scripts/bench/baseline-webhook.ts');
  // Floors: what single dependencies cost on their own.
  const floors = {
    'dynamodb-only.ts': `import { DynamoDBClient, PutItemCommand } from '@aws-sdk/client-dynamodb';
const c = new DynamoDBClient({});
export const h = () => c.send(new PutItemCommand({ TableName: 't', Item: {} }));`,
    'zod-mini.ts': `import * as z from 'zod/mini';
export const s = z.object({ a: z.string(), b: z.optional(z.url()), c: z._default(z.enum(['x', 'y']), 'x') });`,
    'zod-classic.ts': `import { z } from 'zod';
export const s = z.object({ a: z.string(), b: z.url().optional(), c: z.enum(['x', 'y']).default('x') });`,
  };
  for (const [file, source] of Object.entries(floors)) await writeFile(join(OUT, file), `${source}\n`);

  const rows = [
    await size('ours as shipped', ours),
    await size('ours, zod locales dropped', ours, [dropZodLocales]),
    await size('ours, grammy/web', ours, [grammyWeb]),
    await size('ours, zod locales dropped + grammy/web', ours, [dropZodLocales, grammyWeb]),
    await size('ours, AWS SDK not bundled', ours, [], sdkExternal),
    await size('ours, all three', ours, [dropZodLocales, grammyWeb], sdkExternal),
    await size('baseline as shipped', baseline),
    await size('baseline, grammy/web', baseline, [grammyWeb]),
    await size('floor: DynamoDBClient + PutItem only', join(OUT, 'dynamodb-only.ts')),
    await size('floor: small schema, zod/mini', join(OUT, 'zod-mini.ts')),
    await size('floor: same schema, zod classic', join(OUT, 'zod-classic.ts')),
  ];
  const shipped = rows[0]!.bytes;
  process.stdout.write(
    `${table(
      ['variant', 'size', 'vs ours as shipped'],
      rows.map((r) => [
        r.name,
        `${(r.bytes / 1024).toFixed(1)} KB`,
        r.name.startsWith('ours') ? `${(((r.bytes - shipped) / shipped) * 100).toFixed(0)}%` : '',
      ]),
    )}\n`,
  );
}

await main();
