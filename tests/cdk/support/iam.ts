import { isDeepStrictEqual } from 'node:util';
import type { Template } from 'aws-cdk-lib/assertions';

export interface Statement {
  effect: string;
  actions: string[];
  resources: unknown[];
  conditions?: Record<string, Record<string, unknown>>;
}

interface RawStatement {
  Effect: string;
  Action: string | string[];
  Resource: unknown;
  Condition?: Record<string, Record<string, unknown>>;
}

interface PolicyResource {
  Properties: { Roles?: unknown[]; PolicyDocument: { Statement: RawStatement[] } };
}

const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);

function normalize(statement: RawStatement): Statement {
  return {
    effect: statement.Effect,
    actions: asArray(statement.Action),
    resources: asArray(statement.Resource),
    ...(statement.Condition ? { conditions: statement.Condition } : {}),
  };
}

/** Statements of every AWS::IAM::Policy attached to the role (minimized policies normalized). */
export function statementsOfRole(template: Template, roleLogicalId: string): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as PolicyResource[];
  return policies
    .filter((p) => (p.Properties.Roles ?? []).some((r) => isDeepStrictEqual(r, { Ref: roleLogicalId })))
    .flatMap((p) => p.Properties.PolicyDocument.Statement.map(normalize));
}

export function allIdentityStatements(template: Template): Statement[] {
  const policies = Object.values(template.findResources('AWS::IAM::Policy')) as PolicyResource[];
  return policies.flatMap((p) => p.Properties.PolicyDocument.Statement.map(normalize));
}

/** True if some Allow statement grants `action` on exactly `resource`. */
export function allows(statements: Statement[], action: string, resource: unknown): boolean {
  return statements.some(
    (s) =>
      s.effect === 'Allow' &&
      s.actions.includes(action) &&
      s.resources.some((r) => isDeepStrictEqual(r, resource)),
  );
}

/** Actions granted on any resource that mentions `logicalId` (ARN, index ARN, Join...). */
export function actionsOn(statements: Statement[], logicalId: string): string[] {
  return statements
    .filter(
      (s) => s.effect === 'Allow' && s.resources.some((r) => JSON.stringify(r).includes(`"${logicalId}"`)),
    )
    .flatMap((s) => s.actions);
}
