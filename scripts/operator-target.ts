import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { DEFAULT_STACK_NAME } from '../cdk/lib/operator-inputs.ts';
import { REPO_ROOT } from '../cdk/lib/paths.ts';

/**
 * Which deployed stack an operator script talks to: `--stack` / `--region` first, then the
 * operator file the stack was deployed from (`stackName`, `region`), then the AWS environment.
 */
export function operatorTarget(flags: {
  stack?: string | undefined;
  region?: string | undefined;
  operatorFile?: string | undefined;
}): { stack: string; region: string } {
  const name = flags.operatorFile ?? 'operator.json';
  const file = isAbsolute(name) ? name : join(REPO_ROOT, name);
  const inputs = existsSync(file)
    ? (JSON.parse(readFileSync(file, 'utf8')) as { stackName?: string; region?: string })
    : {};
  const stack = flags.stack ?? inputs.stackName ?? DEFAULT_STACK_NAME;
  const region = flags.region ?? inputs.region ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION;
  if (!region) throw new Error('No Region: pass --region, or set "region" in operator.json.');
  return { stack, region };
}
