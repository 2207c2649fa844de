import { readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import {
  DEFAULT_OPERATOR_FILE,
  DEFAULT_STACK_NAME,
  layeredSource,
  readOperatorFile,
  readOperatorInputs,
} from './operator-inputs.ts';
import { OrchestratorStack } from './orchestrator-stack.ts';
import { REPO_ROOT } from './paths.ts';

/** The default stack name (operator input `stackName`). */
export const STACK_NAME = DEFAULT_STACK_NAME;

export interface BuiltApp {
  app: App;
  stack: OrchestratorStack;
}

export interface BuildOptions {
  /**
   * The operator file to read inputs from, relative to the repository root. Default: context
   * `operatorFile`, else `operator.json` (absent is fine). `null`: read no file (tests).
   */
  operatorFile?: string | null;
}

/** The context block of cdk.json (feature flags, defaults), so in-process builds match `cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(`${REPO_ROOT}cdk.json`, 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Builds the CDK app with cdk-nag's AwsSolutions checks on. Operator inputs come from the
 * operator file, overridden key by key by context (`context` here overrides cdk.json; under the
 * CLI, `-c key=value` arrives through the environment and overrides both). The stack is bound to
 * the input `region`; its account stays the one the CLI deploys with.
 */
export function buildApp(
  context: Record<string, unknown> = {},
  outdir?: string,
  options: BuildOptions = {},
): BuiltApp {
  const app = new App({ context: { ...cdkJsonContext(), ...context }, ...(outdir ? { outdir } : {}) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const named = app.node.tryGetContext('operatorFile') as string | undefined;
  const fileName =
    options.operatorFile === undefined ? (named ?? DEFAULT_OPERATOR_FILE) : options.operatorFile;
  const file =
    fileName === null
      ? {}
      : readOperatorFile(isAbsolute(fileName) ? fileName : join(REPO_ROOT, fileName), named !== undefined);
  const inputs = readOperatorInputs(layeredSource(app.node, file));
  const stack = new OrchestratorStack(app, inputs.stackName, {
    description: 'Codegen orchestrator: Telegram webhook, SQS FIFO queue and Lambdas',
    env: { region: inputs.region },
    inputs,
  });
  return { app, stack };
}
