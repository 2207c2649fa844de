import { Stack } from 'aws-cdk-lib';
import { describe, expect, it } from 'vitest';
import {
  bedrockInvokeArns,
  bedrockInvokeStatements,
  defaultProfileGeography,
  parseBedrockModelId,
  profileRegionMismatch,
} from '../../cdk/lib/constructs/bedrock-model-arns.ts';

const scope = { partition: 'aws', region: 'us-east-1', account: '123456789012' };

describe('parseBedrockModelId', () => {
  it.each([
    ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'us', 'anthropic.claude-sonnet-4-20250514-v1:0'],
    ['eu.amazon.nova-lite-v1:0', 'eu', 'amazon.nova-lite-v1:0'],
    ['apac.anthropic.claude-3-5-sonnet-20241022-v2:0', 'apac', 'anthropic.claude-3-5-sonnet-20241022-v2:0'],
    [
      'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      'global',
      'anthropic.claude-sonnet-4-5-20250929-v1:0',
    ],
  ])('reads %s as a %s cross-Region inference profile', (id, geography, foundationModelId) => {
    expect(parseBedrockModelId(id)).toEqual({
      kind: 'inference-profile',
      profileId: id,
      geography,
      foundationModelId,
    });
  });

  it.each([
    'anthropic.claude-3-haiku-20240307-v1:0',
    'amazon.nova-micro-v1:0',
    'meta.llama3-8b-instruct-v1:0',
  ])('reads %s as a foundation model (the provider is not a geography)', (id) => {
    expect(parseBedrockModelId(id)).toEqual({ kind: 'foundation-model', modelId: id });
  });
});

describe('bedrockInvokeArns', () => {
  it('grants a foundation model in the calling Region only, with no account', () => {
    expect(bedrockInvokeArns('amazon.nova-micro-v1:0', scope)).toEqual([
      'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0',
    ]);
  });

  it('grants an inference profile in this account and Region, and its model in any Region it routes to', () => {
    expect(bedrockInvokeArns('us.anthropic.claude-sonnet-4-20250514-v1:0', scope)).toEqual([
      'arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-20250514-v1:0',
      'arn:aws:bedrock:*::foundation-model/anthropic.claude-sonnet-4-20250514-v1:0',
    ]);
  });

  it('keeps the partition, so GovCloud and China profiles get their own ARNs', () => {
    expect(
      bedrockInvokeArns('us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0', {
        ...scope,
        partition: 'aws-us-gov',
        region: 'us-gov-west-1',
      }),
    ).toEqual([
      'arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:inference-profile/us-gov.anthropic.claude-3-5-sonnet-20240620-v1:0',
      'arn:aws-us-gov:bedrock:*::foundation-model/anthropic.claude-3-5-sonnet-20240620-v1:0',
    ]);
  });

  it("defaults to the stack's partition, Region and account", () => {
    const stack = new Stack();
    const [profile, model] = bedrockInvokeArns('eu.amazon.nova-lite-v1:0').map((arn) => stack.resolve(arn));
    expect(profile).toEqual({
      'Fn::Join': [
        '',
        [
          'arn:',
          { Ref: 'AWS::Partition' },
          ':bedrock:',
          { Ref: 'AWS::Region' },
          ':',
          { Ref: 'AWS::AccountId' },
          ':inference-profile/eu.amazon.nova-lite-v1:0',
        ],
      ],
    });
    expect(model).toEqual({
      'Fn::Join': [
        '',
        ['arn:', { Ref: 'AWS::Partition' }, ':bedrock:*::foundation-model/amazon.nova-lite-v1:0'],
      ],
    });
  });
});

describe('Region and profile geography', () => {
  it.each([
    ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'us-east-1'],
    ['eu.amazon.nova-lite-v1:0', 'eu-west-1'],
    ['apac.amazon.nova-lite-v1:0', 'ap-northeast-1'],
    ['jp.anthropic.claude-sonnet-4-5-20250929-v1:0', 'ap-northeast-1'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'sa-east-1'],
    ['amazon.nova-lite-v1:0', 'eu-west-1'],
  ])('lets %s be called from %s', (modelId, region) => {
    expect(profileRegionMismatch(modelId, region)).toBeUndefined();
  });

  it.each([
    ['us.anthropic.claude-sonnet-4-20250514-v1:0', 'eu-west-1', 'eu'],
    ['eu.amazon.nova-lite-v1:0', 'us-east-1', 'us'],
    ['us.amazon.nova-lite-v1:0', 'us-gov-west-1', '<geography of your Region>'],
    ['global.anthropic.claude-sonnet-4-5-20250929-v1:0', 'us-gov-west-1', '<geography of your Region>'],
  ])('refuses %s from %s and names the %s profile instead', (modelId, region, suggested) => {
    expect(profileRegionMismatch(modelId, region)).toContain(
      `cannot be called from ${region}; use the ${suggested}.`,
    );
  });

  it.each([
    ['us-east-2', 'us'],
    ['eu-north-1', 'eu'],
    ['ap-south-1', 'apac'],
    ['sa-east-1', undefined],
    ['us-gov-west-1', undefined],
  ])('defaults %s to %s profiles', (region, geography) => {
    expect(defaultProfileGeography(region)).toBe(geography);
  });
});

describe('bedrockInvokeStatements', () => {
  it('allows the foundation models a profile routes to only through that profile', () => {
    expect(
      bedrockInvokeStatements(['eu.amazon.nova-lite-v1:0', 'anthropic.claude-3-haiku-20240307-v1:0'], {
        ...scope,
        region: 'eu-west-1',
      }),
    ).toEqual([
      {
        sid: 'ConverseWithConfiguredModels',
        resources: [
          'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0',
          'arn:aws:bedrock:eu-west-1::foundation-model/anthropic.claude-3-haiku-20240307-v1:0',
        ],
      },
      {
        sid: 'FoundationModelThroughProfile1',
        resources: ['arn:aws:bedrock:*::foundation-model/amazon.nova-lite-v1:0'],
        inferenceProfileArn:
          'arn:aws:bedrock:eu-west-1:123456789012:inference-profile/eu.amazon.nova-lite-v1:0',
      },
    ]);
  });
});
