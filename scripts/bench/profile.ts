import { readFile } from 'node:fs/promises';
import { SourceMap } from 'node:module';
import { pathToFileURL } from 'node:url';
import { packageOf } from './bundle.ts';

/** The subset of V8's .cpuprofile format this reads. */
interface CpuProfile {
  nodes: Array<{
    id: number;
    callFrame: { functionName: string; url: string; lineNumber: number; columnNumber: number };
  }>;
  samples: number[];
  timeDeltas: number[];
}

export interface ProfileRow {
  name: string;
  ms: number;
  share: number;
}

export interface ProfileSummary {
  /** Sampled time outside idle, ms. */
  busyMs: number;
  /** Sampled idle time (the event loop waiting, here on DynamoDB and SQS), ms. */
  idleMs: number;
  byOrigin: ProfileRow[];
  byFunction: ProfileRow[];
}

/**
 * Self time of a CPU profile of the bundled handler, attributed through the bundle's source map
 * to npm packages (or repository files), and to functions; idle time is kept apart.
 */
export async function attributeProfile(profileFile: string, bundleFile: string): Promise<ProfileSummary> {
  const profile = JSON.parse(await readFile(profileFile, 'utf8')) as CpuProfile;
  const map = new SourceMap(JSON.parse(await readFile(`${bundleFile}.map`, 'utf8')));
  const bundleUrl = pathToFileURL(bundleFile).href;
  const frames = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => {
    selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
  });

  const byOrigin = new Map<string, number>();
  const byFunction = new Map<string, number>();
  let idleUs = 0;
  for (const [id, us] of selfUs) {
    const frame = frames.get(id);
    if (!frame) continue;
    if (frame.functionName === '(idle)') {
      idleUs += us;
      continue;
    }
    let origin: string;
    let fn: string;
    if (frame.url === bundleUrl) {
      const entry = map.findEntry(frame.lineNumber, frame.columnNumber) as {
        originalSource?: string;
        originalLine?: number;
        name?: string;
      };
      const source = (entry.originalSource ?? '?')
        .replace(/^(?:\.\.\/)+/, '')
        .replace(/^file:\/\/.*?\/(?=node_modules|lambdas)/, '');
      origin = source.includes('node_modules/') ? packageOf(source) : source;
      const name = frame.functionName || entry.name || '(anonymous)';
      fn = `${name}  ${source.replace(/^.*node_modules\//, '')}:${(entry.originalLine ?? 0) + 1}`;
    } else if (frame.url.startsWith('node:')) {
      origin = `node core: ${
        frame.url
          .slice(5)
          .replace(/^internal\//, '')
          .split('/')[0]
      }`;
      fn = `${frame.functionName || '(anonymous)'}  ${frame.url}`;
    } else if (frame.url === '') {
      origin = frame.functionName.startsWith('(') ? frame.functionName : 'V8 builtins / native';
      fn = frame.functionName || '(native)';
    } else {
      origin = 'bench runner';
      fn = frame.functionName || '(anonymous)';
    }
    byOrigin.set(origin, (byOrigin.get(origin) ?? 0) + us);
    byFunction.set(fn, (byFunction.get(fn) ?? 0) + us);
  }
  const busyUs = [...byOrigin.values()].reduce((a, b) => a + b, 0);
  const rows = (m: Map<string, number>) =>
    [...m].map(([name, us]) => ({ name, ms: us / 1000, share: us / busyUs })).sort((a, b) => b.ms - a.ms);
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    byOrigin: rows(byOrigin),
    byFunction: rows(byFunction),
  };
}
