import { readFile } from 'node:fs/promises';
import type { InspectorAssets } from './inspector-shell.ts';
import type { PipelineGraphs } from './pipeline-graphs.ts';

/** The directory, next to a Lambda's bundle, that holds the built page (see scripts/build-inspector-assets.ts). */
export const INSPECTOR_ASSET_DIR = 'inspector';
/** The built page's file names in that directory. */
export const INSPECTOR_ASSET_FILES = {
  html: 'index.html',
  script: 'inspector.js',
  style: 'inspector.css',
} as const satisfies Record<keyof InspectorAssets, string>;
/** The pipelines' laid-out graphs (`pipelineGraphs()`), in the same directory. */
export const INSPECTOR_GRAPHS_FILE = 'graphs.json';

/**
 * The page as built into a Lambda's bundle: `<bundle dir>/inspector/*`, written at bundling time by
 * the same esbuild build the local stack runs at start-up (`buildInspectorAssets`). `moduleUrl`:
 * the bundle's own `import.meta.url`.
 */
export async function readBundledInspectorAssets(moduleUrl: string): Promise<InspectorAssets> {
  const read = (name: string) => readFile(new URL(`./${INSPECTOR_ASSET_DIR}/${name}`, moduleUrl), 'utf8');
  const [html, script, style] = await Promise.all([
    read(INSPECTOR_ASSET_FILES.html),
    read(INSPECTOR_ASSET_FILES.script),
    read(INSPECTOR_ASSET_FILES.style),
  ]);
  return { html, script, style };
}

/** The pipelines' graphs as built into a Lambda's bundle (`<bundle dir>/inspector/graphs.json`). */
export async function readBundledPipelineGraphs(moduleUrl: string): Promise<PipelineGraphs> {
  const file = new URL(`./${INSPECTOR_ASSET_DIR}/${INSPECTOR_GRAPHS_FILE}`, moduleUrl);
  return JSON.parse(await readFile(file, 'utf8')) as PipelineGraphs;
}
