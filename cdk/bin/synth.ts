// `npm run synth`: builds the app in-process, synthesizes to cdk.out with cdk-nag on, prints the
// stacks and a one-line cdk-nag summary. Exits non-zero on any error or unacknowledged finding.
// Inputs come from operator.json (README, Deploy to AWS); context overrides them as with the CLI:
// `npm run synth -- -c region=eu-west-1 -c adminTelegramIds=123`, `-c operatorFile=other.json`.
import { join } from 'node:path';
import { buildApp } from '../lib/build-app.ts';
import { nagSummary } from '../lib/nag-report.ts';
import { REPO_ROOT } from '../lib/paths.ts';

function contextFromArgs(args: string[]): Record<string, string> {
  const context: Record<string, string> = {};
  for (let i = 0; i < args.length; i++) {
    if (args[i] !== '-c' && args[i] !== '--context') continue;
    const pair = args[++i] ?? '';
    const eq = pair.indexOf('=');
    if (eq < 1) throw new Error(`Context must be key=value, got "${pair}"`);
    context[pair.slice(0, eq)] = pair.slice(eq + 1);
  }
  return context;
}

const started = Date.now();
try {
  const outdir = join(REPO_ROOT, 'cdk.out');
  const { app } = buildApp(contextFromArgs(process.argv.slice(2)), outdir);
  const assembly = app.synth();
  const seconds = ((Date.now() - started) / 1000).toFixed(1);
  console.log(
    `Synthesized ${assembly.stacks.map((s) => s.stackName).join(', ')} to ${outdir} in ${seconds} s`,
  );
  console.log(nagSummary(app, assembly.directory));
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exitCode = 1;
}
