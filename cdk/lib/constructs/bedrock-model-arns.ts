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

/**
 * The Regions a system-defined cross-Region inference profile can be called from, by its
 * geography prefix: a `us.` profile exists only in US Regions, an `eu.` one only in EU Regions,
 * and so on. Calling a profile from a Region outside its geography fails with "The provided model
 * identifier is invalid". `global.` profiles are callable from commercial Regions.
 */
const PROFILE_SOURCE_REGIONS: Record<(typeof CROSS_REGION_PROFILE_PREFIXES)[number], RegExp> = {
  us: /^us-(east|west)-\d+$/,
  'us-gov': /^us-gov-(east|west)-\d+$/,
  eu: /^eu-[a-z]+-\d+$/,
  apac: /^ap-[a-z]+-\d+$/,
  jp: /^ap-northeast-[13]$/,
  au: /^ap-southeast-[24]$/,
  ca: /^ca-[a-z]+-\d+$/,
  global: /^(?!us-gov-|cn-)[a-z]{2}-[a-z]+-\d+$/,
};

/** An AWS Region name such as `eu-west-1` or `us-gov-west-1`. */
export const REGION_NAME = /^[a-z]{2}(-gov)?-[a-z]+-\d+$/;

/** The geography whose profiles the product defaults to in `region`; undefined if none fits. */
export function defaultProfileGeography(region: string): 'us' | 'eu' | 'apac' | undefined {
  for (const geography of ['us', 'eu', 'apac'] as const) {
    if (PROFILE_SOURCE_REGIONS[geography].test(region)) return geography;
  }
  return undefined;
}

/**
 * Why `modelId` cannot be called from `region`, or undefined if it can (as far as the id tells:
 * a plain foundation model id is checked by Bedrock at the first call, not here).
 */
export function profileRegionMismatch(modelId: string, region: string): string | undefined {
  const model = parseBedrockModelId(modelId);
  if (model.kind === 'foundation-model') return undefined;
  const geography = model.geography as keyof typeof PROFILE_SOURCE_REGIONS;
  if (PROFILE_SOURCE_REGIONS[geography].test(region)) return undefined;
  return `"${modelId}" is a ${geography}. cross-Region inference profile, which cannot be called from ${region}; use the ${defaultProfileGeography(region) ?? '<geography of your Region>'}. profile of the same model, or deploy to a Region of its geography`;
}

/** One IAM statement's worth of bedrock:InvokeModel: its resources and, for routed models, its profile. */
export interface BedrockInvokeStatement {
  sid: string;
  resources: string[];
  /** Condition `bedrock:InferenceProfileArn`: the foundation models are usable only through it. */
  inferenceProfileArn?: string;
}

/**
 * Least-privilege InvokeModel statements for `modelIds`: one for the inference profiles and
 * plain foundation models themselves (in this Region), and one per profile for the foundation
 * model it routes to in any Region of its geography, valid only when the call comes through that
 * profile. Without the condition, the role could call the foundation model directly in every
 * Region; with it, only as the profile routes it.
 */
export function bedrockInvokeStatements(
  modelIds: string[],
  scope: ArnScope = STACK_SCOPE,
): BedrockInvokeStatement[] {
  const direct: string[] = [];
  const routed: BedrockInvokeStatement[] = [];
  for (const modelId of [...new Set(modelIds)]) {
    const [own, foundation] = bedrockInvokeArns(modelId, scope) as [string, string | undefined];
    direct.push(own);
    if (foundation) {
      const sid = `FoundationModelThroughProfile${routed.length + 1}`;
      routed.push({ sid, resources: [foundation], inferenceProfileArn: own });
    }
  }
  return [{ sid: 'ConverseWithConfiguredModels', resources: direct }, ...routed];
}
