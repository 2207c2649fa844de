import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { readOperatorInputs } from './operator-inputs.ts';
import { OrchestratorStack } from './orchestrator-stack.ts';
import { REPO_ROOT } from './paths.ts';

export const STACK_NAME = 'CodegenOrchestrator';

export interface BuiltApp {
  app: App;
  stack: OrchestratorStack;
}

/** The context block of cdk.json (feature flags, defaults), so in-process builds match `cdk synth`. */
function cdkJsonContext(): Record<string, unknown> {
  const cdkJson = JSON.parse(readFileSync(`${REPO_ROOT}cdk.json`, 'utf8')) as {
    context?: Record<string, unknown>;
  };
  return cdkJson.context ?? {};
}

/**
 * Builds the CDK app with cdk-nag's AwsSolutions checks on. `context` overrides cdk.json; under
 * the CLI, `-c key=value` arrives through the environment and overrides both.
 */
export function buildApp(context: Record<string, unknown> = {}, outdir?: string): BuiltApp {
  const app = new App({ context: { ...cdkJsonContext(), ...context }, ...(outdir ? { outdir } : {}) });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  const stack = new OrchestratorStack(app, STACK_NAME, {
    description: 'Codegen orchestrator: Telegram webhook, SQS FIFO queue and Lambdas',
    inputs: readOperatorInputs(app.node),
  });
  return { app, stack };
}
