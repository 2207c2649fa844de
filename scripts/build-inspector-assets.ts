import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { INSPECTOR_ASSET_FILES, INSPECTOR_GRAPHS_FILE } from '../lambdas/inspector/bundled-assets.ts';
import { buildInspectorAssets } from '../lambdas/inspector/inspector-assets.ts';
import { pipelineGraphs } from '../lambdas/inspector/pipeline-graphs.ts';

/**
 * Writes the run inspector page (the build the local stack makes at start-up) and the pipelines'
 * laid-out graphs (graphs.json) to a directory:
 * the admin API Lambda's bundling runs this into `<bundle>/inspector/` (cdk/lib/constructs/admin-api.ts).
 * Usage: `node --import tsx scripts/build-inspector-assets.ts <dir>`
 */
const [dir] = process.argv.slice(2);
if (!dir) {
  console.error('usage: build-inspector-assets.ts <output dir>');
  process.exit(2);
}
const assets = await buildInspectorAssets();
await mkdir(dir, { recursive: true });
await Promise.all(
  (Object.keys(INSPECTOR_ASSET_FILES) as Array<keyof typeof INSPECTOR_ASSET_FILES>).map((part) =>
    writeFile(join(dir, INSPECTOR_ASSET_FILES[part]), assets[part]),
  ),
);
await writeFile(join(dir, INSPECTOR_GRAPHS_FILE), JSON.stringify(pipelineGraphs()));
