import { Aws } from 'aws-cdk-lib';

/**
 * Geography prefixes of Bedrock's system-defined cross-Region inference profiles
 * (`us.anthropic.claude-...`, `eu.amazon.nova-...`, `global.anthropic.claude-...`).
 */
export const CROSS_REGION_PROFILE_PREFIXES = [
  'us',
  'us-gov',
  'eu',
  'apac',
  'jp',
  'au',
  'ca',
  'global',
] as const;

export type BedrockModelRef =
  | { kind: 'foundation-model'; modelId: string }
  | { kind: 'inference-profile'; profileId: string; geography: string; foundationModelId: string };

/** Where the ARNs point; defaults to the deploying stack's pseudo parameters. */
export interface ArnScope {
  partition: string;
  region: string;
  account: string;
}

const STACK_SCOPE: ArnScope = { partition: Aws.PARTITION, region: Aws.REGION, account: Aws.ACCOUNT_ID };

/** Tells a cross-Region inference profile id from a plain foundation model id. */
export function parseBedrockModelId(modelId: string): BedrockModelRef {
  const dot = modelId.indexOf('.');
  const geography = dot > 0 ? modelId.slice(0, dot) : '';
  if ((CROSS_REGION_PROFILE_PREFIXES as readonly string[]).includes(geography)) {
    return {
      kind: 'inference-profile',
      profileId: modelId,
      geography,
      foundationModelId: modelId.slice(dot + 1),
    };
  }
  return { kind: 'foundation-model', modelId };
}

/**
 * The resources `bedrock:InvokeModel` (what Converse authorizes against) must allow for one
 * model id. A foundation model is invoked in the caller's Region. A cross-Region inference
 * profile is invoked in the caller's Region and then routed by Bedrock to the foundation model in
 * any Region of its geography, so IAM checks both the profile ARN and the foundation-model ARN in
 * the destination Region, which the caller cannot choose: hence `*` for that Region (it also
 * matches the Region-less ARN that global profiles use).
 */
export function bedrockInvokeArns(modelId: string, scope: ArnScope = STACK_SCOPE): string[] {
  const { partition, region, account } = scope;
  const model = parseBedrockModelId(modelId);
  if (model.kind === 'foundation-model') {
    return [`arn:${partition}:bedrock:${region}::foundation-model/${model.modelId}`];
  }
  return [
    `arn:${partition}:bedrock:${region}:${account}:inference-profile/${model.profileId}`,
    `arn:${partition}:bedrock:*::foundation-model/${model.foundationModelId}`,
  ];
}
