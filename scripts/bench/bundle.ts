import { mkdir, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { type BuildOptions, build, type Metafile } from 'esbuild';
import { lambdaEsbuildOptions } from '../../cdk/lib/bundling/esbuild-options.ts';
import { WEBHOOK_BUNDLE_CHOICES } from '../../cdk/lib/constructs/telegram-front-door.ts';

/**
 * The webhook's bundle options, taken from the object CDK bundles it with
 * (cdk/lib/bundling/esbuild-options.ts, as TelegramFrontDoor configures the webhook): node22,
 * ESM, minified, module-first main fields, the createRequire banner, external source map without
 * sources content, the service clients left to the Lambda runtime, grammY's node-fetch swapped
 * for Node 22's built-in fetch. The baseline is bundled the same way, so the ratios compare
 * handlers, not bundler settings.
 */
export const LAMBDA_BUNDLE_OPTIONS: BuildOptions = lambdaEsbuildOptions(WEBHOOK_BUNDLE_CHOICES);

export interface BundleInfo {
  outfile: string;
  bytes: number;
  /** Source map size, shipped next to the bundle but not loaded unless --enable-source-maps. */
  mapBytes: number;
  inputs: Array<{ path: string; bytes: number }>;
  packages: Array<{ name: string; bytes: number }>;
  /** Bytes by source folder: shows what many small files add up to (e.g. zod's locales). */
  folders: Array<{ name: string; bytes: number }>;
}

export async function bundleLambda(entry: string, outfile: string): Promise<BundleInfo> {
  await mkdir(dirname(outfile), { recursive: true });
  const result = await build({ ...LAMBDA_BUNDLE_OPTIONS, entryPoints: [entry], outfile, metafile: true });
  const bytes = (await stat(outfile)).size;
  const mapBytes = (await stat(`${outfile}.map`)).size;
  return { outfile, bytes, mapBytes, ...breakdown(result.metafile, outfile) };
}

/** The bench's child runner: plain Node, nothing minified, for the machine's own Node version. */
export async function bundleRunner(entry: string, outfile: string): Promise<void> {
  await mkdir(dirname(outfile), { recursive: true });
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: `node${process.versions.node.split('.')[0]}`,
    format: 'esm',
    packages: 'external',
    logLevel: 'warning',
  });
}

function breakdown(metafile: Metafile, outfile: string): Pick<BundleInfo, 'inputs' | 'packages' | 'folders'> {
  // Metafile paths are relative to esbuild's working directory (the repository root).
  const workingDir = LAMBDA_BUNDLE_OPTIONS.absWorkingDir ?? process.cwd();
  const output = Object.entries(metafile.outputs).find(
    ([path]) => resolve(workingDir, path) === resolve(outfile),
  )?.[1];
  if (!output) throw new Error(`esbuild metafile has no output for ${outfile}`);
  const inputs = Object.entries(output.inputs)
    .map(([path, info]) => ({ path, bytes: info.bytesInOutput }))
    .sort((a, b) => b.bytes - a.bytes);
  const sum = (key: (path: string) => string) => {
    const totals = new Map<string, number>();
    for (const input of inputs) totals.set(key(input.path), (totals.get(key(input.path)) ?? 0) + input.bytes);
    return [...totals].map(([name, bytes]) => ({ name, bytes })).sort((a, b) => b.bytes - a.bytes);
  };
  return { inputs, packages: sum(packageOf), folders: sum((path) => `${dirname(path)}/`) };
}

/** `node_modules/@scope/pkg/...` -> `@scope/pkg` (innermost node_modules); repo files -> their top folder. */
export function packageOf(path: string): string {
  const matches = [...path.matchAll(/node_modules\/((?:@[^/]+\/)?[^/]+)/g)];
  const last = matches.at(-1);
  if (last?.[1]) return last[1];
  return `(repo) ${path.split('/', 1)[0]}/`;
}
