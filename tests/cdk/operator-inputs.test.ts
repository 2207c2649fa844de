import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { describe, expect, it } from 'vitest';
import { OperatorInputError, readOperatorInputs } from '../../cdk/lib/operator-inputs.ts';

/** A stand-in for `app.node`: context as the CLI or cdk.json would hand it over. */
const node = (context: Record<string, unknown>) => ({ tryGetContext: (key: string) => context[key] });

describe('readOperatorInputs', () => {
  it('has safe defaults so CI can synth with no context', () => {
    expect(readOperatorInputs(node({}))).toEqual({
      adminTelegramIds: [],
      botUsername: 'codegen_orchestrator_bot',
      bedrockIntentModelId: 'us.amazon.nova-lite-v1:0',
      bedrockAgentModelId: 'us.anthropic.claude-sonnet-4-20250514-v1:0',
      logRetention: RetentionDays.ONE_MONTH,
    });
  });

  it.each([
    ['a CLI string', '123, 456', ['123', '456']],
    ['a cdk.json number', 123, ['123']],
    ['a cdk.json array', [123, '456'], ['123', '456']],
  ])('reads admin ids from %s', (_, raw, expected) => {
    expect(readOperatorInputs(node({ adminTelegramIds: raw })).adminTelegramIds).toEqual(expected);
  });

  it('reads every input', () => {
    const inputs = readOperatorInputs(
      node({
        botUsername: 'my_bot',
        alarmEmail: 'ops@example.com',
        bedrockIntentModelId: 'amazon.nova-micro-v1:0',
        bedrockAgentModelId: ' eu.anthropic.claude-sonnet-4-5-20250929-v1:0 ',
        logRetentionDays: '90',
      }),
    );
    expect(inputs).toMatchObject({
      botUsername: 'my_bot',
      alarmEmail: 'ops@example.com',
      bedrockIntentModelId: 'amazon.nova-micro-v1:0',
      bedrockAgentModelId: 'eu.anthropic.claude-sonnet-4-5-20250929-v1:0',
      logRetention: RetentionDays.THREE_MONTHS,
    });
  });

  it('names every bad input at once', () => {
    // Prepare
    const context = {
      adminTelegramIds: '123,@alice',
      botUsername: '@my_bot',
      alarmEmail: 'not-an-email',
      bedrockIntentModelId: 'arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-micro-v1:0',
      bedrockAgentModelId: 'claude sonnet',
      bedrockModelIds: 'amazon.nova-pro-v1:0',
      logRetentionDays: '31',
    };

    // Act
    const error = (() => {
      try {
        readOperatorInputs(node(context));
      } catch (thrown) {
        return thrown;
      }
    })();

    // Assess
    expect(error).toBeInstanceOf(OperatorInputError);
    expect((error as OperatorInputError).problems).toEqual([
      'adminTelegramIds: "@alice" is not a numeric Telegram user id',
      expect.stringContaining('botUsername: "@my_bot"'),
      'alarmEmail: "not-an-email" is not an email address',
      expect.stringContaining('bedrockIntentModelId: "arn:aws:bedrock:us-east-1::foundation-model/'),
      expect.stringContaining('bedrockAgentModelId: "claude sonnet" is not a Bedrock model'),
      'bedrockModelIds: replaced by bedrockIntentModelId and bedrockAgentModelId; set those instead',
      expect.stringContaining('logRetentionDays: "31" must be one of 1, 3, 5, 7, 14, 30'),
    ]);
  });
});
