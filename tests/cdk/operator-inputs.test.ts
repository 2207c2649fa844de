import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CfnElement } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { buildApp } from '../../cdk/lib/build-app.ts';
import {
  layeredSource,
  OperatorInputError,
  readOperatorFile,
  readOperatorInputs,
} from '../../cdk/lib/operator-inputs.ts';
import { REPO_ROOT } from '../../cdk/lib/paths.ts';

/** A stand-in for `app.node`: context as the CLI or cdk.json would hand it over. */
const node = (context: Record<string, unknown>) => ({ tryGetContext: (key: string) => context[key] });
const REQUIRED = { region: 'eu-west-1', adminTelegramIds: '123' };

function problemsOf(context: Record<string, unknown>): string[] {
  try {
    readOperatorInputs(node(context));
  } catch (thrown) {
    if (thrown instanceof OperatorInputError) return thrown.problems;
    throw thrown;
  }
  throw new Error('expected readOperatorInputs to throw');
}

function writeOperatorFile(content: unknown): string {
  const dir = mkdtempSync(join(tmpdir(), 'operator-'));
  const file = join(dir, 'operator.json');
  writeFileSync(file, typeof content === 'string' ? content : JSON.stringify(content));
  return file;
}

describe('readOperatorInputs', () => {
  it('fills the optional inputs with defaults, the models from the Region geography', () => {
    expect(readOperatorInputs(node(REQUIRED))).toEqual({
      stackName: 'CodegenOrchestrator',
      region: 'eu-west-1',
      adminTelegramIds: ['123'],
      botUsername: 'codegen_orchestrator_bot',
      bedrockIntentModelId: 'eu.amazon.nova-lite-v1:0',
      bedrockAgentModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
      modelPrices: {},
      userMonthlyBudgetUsd: 20,
      consumerMaxConcurrency: 20,
      logRetention: RetentionDays.ONE_MONTH,
    });
  });

  it.each([
    ['us-east-1', 'us'],
    ['us-west-2', 'us'],
    ['eu-central-1', 'eu'],
    ['eu-west-3', 'eu'],
    ['ap-northeast-1', 'apac'],
    ['ap-southeast-2', 'apac'],
  ])('defaults to the inference profiles callable from %s (%s.)', (region, geography) => {
    const inputs = readOperatorInputs(node({ ...REQUIRED, region }));
    expect(inputs.bedrockIntentModelId).toBe(`${geography}.amazon.nova-lite-v1:0`);
    expect(inputs.bedrockAgentModelId).toBe(`${geography}.anthropic.claude-sonnet-4-20250514-v1:0`);
  });

  it('refuses a Region without default profiles unless both models are named', () => {
    expect(problemsOf({ ...REQUIRED, region: 'sa-east-1' })).toEqual([
      expect.stringContaining('bedrockIntentModelId: no default for sa-east-1'),
      expect.stringContaining('bedrockAgentModelId: no default for sa-east-1'),
    ]);
    const named = readOperatorInputs(
      node({
        ...REQUIRED,
        region: 'sa-east-1',
        bedrockIntentModelId: 'amazon.nova-lite-v1:0',
        bedrockAgentModelId: 'global.anthropic.claude-sonnet-4-5-20250929-v1:0',
      }),
    );
    expect(named.bedrockAgentModelId).toBe('global.anthropic.claude-sonnet-4-5-20250929-v1:0');
  });

  it('refuses a us. profile with an EU Region, naming the profile to use instead', () => {
    expect(
      problemsOf({ ...REQUIRED, bedrockAgentModelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0' }),
    ).toEqual([
      expect.stringMatching(
        /^bedrockAgentModelId: "us\.anthropic\.claude-sonnet-4-20250514-v1:0" is a us\. cross-Region inference profile, which cannot be called from eu-west-1; use the eu\. profile/,
      ),
    ]);
  });

  it('requires a Region: an env-agnostic stack cannot check its model ids', () => {
    expect(problemsOf({ adminTelegramIds: '123' })).toEqual([expect.stringMatching(/^region: required/)]);
  });

  it('refuses to synth without at least one admin, saying how to add one', () => {
    expect(problemsOf({ region: 'eu-west-1' })).toEqual([
      expect.stringMatching(/^adminTelegramIds: at least one admin is required.*operator\.json/),
    ]);
  });

  it.each([
    ['a CLI string', '123, 456', ['123', '456']],
    ['a JSON number', 123, ['123']],
    ['a JSON array', [123, '456'], ['123', '456']],
  ])('reads admin ids from %s', (_, raw, expected) => {
    expect(readOperatorInputs(node({ ...REQUIRED, adminTelegramIds: raw })).adminTelegramIds).toEqual(
      expected,
    );
  });

  it('reads every input', () => {
    const inputs = readOperatorInputs(
      node({
        ...REQUIRED,
        stackName: 'Orchestrator-Staging',
        botUsername: 'my_bot',
        alarmEmail: 'ops@example.com',
        bedrockIntentModelId: 'amazon.nova-micro-v1:0',
        bedrockAgentModelId: ' eu.anthropic.claude-sonnet-4-5-20250929-v1:0 ',
        modelPrices: '{"amazon.nova-micro-v1:0": {"inputPerMTok": 0.035, "outputPerMTok": 0.14}}',
        userMonthlyBudgetUsd: '12.5',
        consumerMaxConcurrency: 5,
        logRetentionDays: '90',
      }),
    );
    expect(inputs).toMatchObject({
      stackName: 'Orchestrator-Staging',
      botUsername: 'my_bot',
      alarmEmail: 'ops@example.com',
      bedrockIntentModelId: 'amazon.nova-micro-v1:0',
      bedrockAgentModelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      modelPrices: { 'amazon.nova-micro-v1:0': { inputPerMTok: 0.035, outputPerMTok: 0.14 } },
      userMonthlyBudgetUsd: 12.5,
      consumerMaxConcurrency: 5,
      logRetention: RetentionDays.THREE_MONTHS,
    });
  });

  it('names every bad input at once', () => {
    expect(
      problemsOf({
        region: 'Europe',
        stackName: '1stack',
        adminTelegramIds: '123,@alice',
        botUsername: '@my_bot',
        alarmEmail: 'not-an-email',
        bedrockIntentModelId: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0',
        bedrockAgentModelId: 'claude sonnet',
        bedrockModelIds: 'amazon.nova-pro-v1:0',
        modelPrices: { 'amazon.nova-pro-v1:0': { inputPerMTok: -1, outputPerMTok: 3.2 } },
        userMonthlyBudgetUsd: 'lots',
        consumerMaxConcurrency: 1,
        logRetentionDays: '31',
      }),
    ).toEqual([
      expect.stringContaining('stackName: "1stack"'),
      'region: "Europe" is not an AWS Region name such as eu-west-1',
      'adminTelegramIds: "@alice" is not a numeric Telegram user id',
      expect.stringContaining('botUsername: "@my_bot"'),
      'alarmEmail: "not-an-email" is not an email address',
      expect.stringContaining('bedrockIntentModelId: "arn:aws:bedrock:us-east-1::foundation-model/'),
      expect.stringContaining('bedrockAgentModelId: "claude sonnet" is not a Bedrock model'),
      'bedrockModelIds: replaced by bedrockIntentModelId and bedrockAgentModelId; set those instead',
      expect.stringContaining('modelPrices["amazon.nova-pro-v1:0"]: needs inputPerMTok and outputPerMTok'),
      expect.stringContaining('userMonthlyBudgetUsd: "lots"'),
      'consumerMaxConcurrency: "1" must be an integer from 2 to 1000',
      expect.stringContaining('logRetentionDays: "31" must be one of 1, 3, 5, 7, 14, 30'),
    ]);
  });

  it('reads the GitHub App of the engineering pipeline: all three ids, numbers from JSON included', () => {
    expect(
      readOperatorInputs(
        node({ ...REQUIRED, githubOrg: 'acme-builds', githubAppId: 123456, githubInstallationId: '7890123' }),
      ).github,
    ).toEqual({ org: 'acme-builds', appId: '123456', installationId: '7890123' });
    // None: the pipeline deploys without a git host.
    expect(readOperatorInputs(node(REQUIRED))).not.toHaveProperty('github');
  });

  it('refuses part of the GitHub App, or ids that are not what GitHub shows', () => {
    expect(problemsOf({ ...REQUIRED, githubOrg: 'acme' })).toEqual([
      'githubOrg, githubAppId, githubInstallationId: set all three (the GitHub App of the engineering pipeline) or none',
    ]);
    expect(
      problemsOf({
        ...REQUIRED,
        githubOrg: 'acme/builds',
        githubAppId: 'my-app',
        githubInstallationId: '12a',
      }),
    ).toEqual([
      expect.stringContaining('githubOrg: "acme/builds" is not a GitHub organisation login'),
      expect.stringContaining('githubAppId: "my-app" must be the App\'s numeric id'),
      expect.stringContaining('githubInstallationId: "12a" must be the numeric installation id'),
    ]);
  });
});

describe('operator file', () => {
  it('is where the next deploy finds the inputs; context overrides it key by key', () => {
    const file = readOperatorFile(
      writeOperatorFile({ region: 'us-east-1', adminTelegramIds: [42], alarmEmail: 'ops@example.com' }),
      true,
    );
    const inputs = readOperatorInputs(layeredSource(node({ alarmEmail: 'oncall@example.com' }), file));
    expect(inputs).toMatchObject({
      region: 'us-east-1',
      adminTelegramIds: ['42'],
      alarmEmail: 'oncall@example.com',
      bedrockAgentModelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
    });
  });

  it('accepts the documented example, operator.example.json', () => {
    const example = readOperatorFile(join(REPO_ROOT, 'operator.example.json'), true);
    expect(readOperatorInputs(node(example))).toMatchObject({
      region: 'eu-west-1',
      adminTelegramIds: ['123456789'],
      bedrockAgentModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
      modelPrices: { 'eu.anthropic.claude-sonnet-4-20250514-v1:0': { inputPerMTok: 3, outputPerMTok: 15 } },
    });
  });

  it('refuses unknown keys (a typo must not silently fall back to a default) and a missing named file', () => {
    expect(() => readOperatorFile(writeOperatorFile({ adminTelegramId: [42] }), true)).toThrow(
      /unknown input "adminTelegramId"/,
    );
    expect(() => readOperatorFile('/nonexistent/operator.json', true)).toThrow(/does not exist/);
    expect(readOperatorFile('/nonexistent/operator.json', false)).toEqual({});
    expect(() => readOperatorFile(writeOperatorFile('{ nope'), true)).toThrow(/not JSON/);
  });

  it('feeds the synthesized stack: name, Region and admins come from the file named by context', () => {
    const file = writeOperatorFile({
      stackName: 'OrchestratorStaging',
      region: 'ap-southeast-2',
      adminTelegramIds: [42, 43],
    });
    const { stack } = buildApp({ operatorFile: file, 'aws:cdk:bundling-stacks': [] });
    expect(stack.stackName).toBe('OrchestratorStaging');
    expect(stack.region).toBe('ap-southeast-2');
    const consumerId = stack.getLogicalId(stack.updateQueue.consumer.fn.node.defaultChild as CfnElement);
    const env = Template.fromStack(stack).toJSON().Resources[consumerId].Properties.Environment.Variables;
    expect(env).toMatchObject({
      ADMIN_TELEGRAM_IDS: '42,43',
      LLM_AGENT_MODEL: 'bedrock:apac.anthropic.claude-sonnet-4-20250514-v1:0',
    });
  });
});
