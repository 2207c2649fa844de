import type { App, CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import type { IConstruct } from 'constructs';
import { buildApp } from '../../../cdk/lib/build-app.ts';
import type { OrchestratorStack } from '../../../cdk/lib/orchestrator-stack.ts';

/** Operator inputs the property tests synthesize with. */
export const TEST_CONTEXT = {
  region: 'eu-west-1',
  adminTelegramIds: '111,222',
  botUsername: 'test_orchestrator_bot',
  alarmEmail: 'ops@example.com',
  logRetentionDays: '14',
};

export interface Synthesized {
  app: App;
  stack: OrchestratorStack;
  template: Template;
  /** Logical id of a construct's CloudFormation resource (an L2's default child). */
  logicalId(construct: IConstruct): string;
}

/**
 * Builds the real app (cdk-nag on). Bundling is skipped unless asked for: property tests need the
 * template, not the Lambda code, and nag.test.ts bundles for real.
 */
export function synthesize(
  options: { context?: Record<string, unknown>; bundle?: boolean } = {},
): Synthesized {
  const context = {
    ...(options.context ?? TEST_CONTEXT),
    ...(options.bundle ? {} : { 'aws:cdk:bundling-stacks': [] }),
  };
  // The repository's operator.json (an operator's real inputs) never leaks into a test.
  const { app, stack } = buildApp(context, undefined, { operatorFile: null });
  const template = Template.fromStack(stack);
  const logicalId = (construct: IConstruct): string => {
    const resource = (construct.node.defaultChild ?? construct) as CfnElement;
    return stack.getLogicalId(resource);
  };
  return { app, stack, template, logicalId };
}

/** `{ Ref: id }` and `{ Fn::GetAtt: [id, 'Arn'] }`, as they appear in the template. */
export const ref = (id: string) => ({ Ref: id });
export const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });
