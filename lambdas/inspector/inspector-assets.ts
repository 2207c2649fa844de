import { readFile } from 'node:fs/promises';
import { build } from 'esbuild';
import type { InspectorAssets } from './inspector-shell.ts';

const pageFile = (name: string) => new URL(`./page/${name}`, import.meta.url).pathname;

/**
 * The inspector page's files: its HTML and CSS as they are, its TypeScript module bundled by
 * esbuild (in memory, ~50 ms). The local stack calls this at start-up; a deployed handler gets the
 * same result at build time (esbuild is a dev dependency, never bundled into a Lambda).
 */
export async function buildInspectorAssets(): Promise<InspectorAssets> {
  const [html, style, bundle] = await Promise.all([
    readFile(pageFile('index.html'), 'utf8'),
    readFile(pageFile('inspector.css'), 'utf8'),
    build({
      entryPoints: [pageFile('main.ts')],
      bundle: true,
      write: false,
      format: 'esm',
      target: 'es2022',
      minify: true,
      legalComments: 'none',
      logLevel: 'silent',
    }),
  ]);
  const script = bundle.outputFiles[0]?.text;
  if (!script) throw new Error('esbuild produced no inspector script');
  return { html, style, script };
}
