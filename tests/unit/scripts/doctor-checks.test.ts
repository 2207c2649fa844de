import { describe, expect, it } from 'vitest';
import {
  ANTHROPIC_USE_CASE_FIX,
  type CheckResult,
  type DoctorClients,
  formatResult,
  requireOutputs,
  runChecks,
  type StackOutputs,
} from '../../../scripts/doctor/checks.ts';

const BOT_TOKEN = '123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw';
const OUTPUTS: StackOutputs = {
  WebhookUrl: 'https://abc123.execute-api.eu-west-1.amazonaws.com/telegram/webhook',
  BotTokenSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:Bot-AbCdEf',
  WebhookSecretArn: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:Hook-AbCdEf',
  UpdateQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/updates.fifo',
  DeadLetterQueueUrl: 'https://sqs.eu-west-1.amazonaws.com/123456789012/dead.fifo',
  AlarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:alarms',
  BedrockIntentModelId: 'eu.amazon.nova-lite-v1:0',
  BedrockAgentModelId: 'eu.anthropic.claude-sonnet-4-20250514-v1:0',
};

/** An AWS SDK-shaped error. */
function awsError(name: string, message: string): Error {
  return Object.assign(new Error(message), { name });
}

/** A stack that is ready in every respect; each test breaks one thing. */
function healthy(overrides: Partial<DoctorClients> = {}): DoctorClients {
  return {
    secretValue: async (id) => (id === OUTPUTS.BotTokenSecretArn ? BOT_TOKEN : 'a'.repeat(64)),
    webhookInfo: async () => ({ url: OUTPUTS.WebhookUrl, pending_update_count: 0 }),
    converse: async () => undefined,
    topicSubscriptions: async () => [{ protocol: 'email', endpoint: 'ops@example.com', confirmed: true }],
    queueDepth: async () => ({ visible: 0, inFlight: 0 }),
    ...overrides,
  };
}

const run = (clients: DoctorClients) =>
  runChecks(clients, { stack: 'CodegenOrchestrator', region: 'eu-west-1', outputs: OUTPUTS });
const byName = (results: CheckResult[], prefix: string) => {
  const found = results.find((r) => r.name.startsWith(prefix));
  if (!found) throw new Error(`no check ${prefix}`);
  return found;
};

describe('doctor checks', () => {
  it('passes every check on a ready stack, one line each', async () => {
    const results = await run(healthy());
    expect(results.map((r) => [r.name, r.status])).toEqual([
      ['bot token secret', 'ok'],
      ['webhook secret', 'ok'],
      ['Telegram webhook', 'ok'],
      ['intent model eu.amazon.nova-lite-v1:0', 'ok'],
      ['agent model eu.anthropic.claude-sonnet-4-20250514-v1:0', 'ok'],
      ['alarm subscription', 'ok'],
      ['update queue', 'ok'],
      ['dead-letter queue', 'ok'],
    ]);
    for (const result of results) expect(formatResult(result)).not.toContain('\n');
  });

  it('reports the generated placeholder as an unset bot token, with the put-secret-value command, and skips Telegram', async () => {
    const results = await run(healthy({ secretValue: async () => 'q8Zk3VbX9pLm2NcR7tYw4HsJ6dFg1AeU' }));
    const token = byName(results, 'bot token');
    expect(token).toMatchObject({ status: 'fail', detail: expect.stringContaining('placeholder') });
    expect(token.fix).toContain(
      'aws secretsmanager put-secret-value --secret-id CodegenOrchestrator/telegram/bot-token',
    );
    expect(byName(results, 'Telegram webhook').status).toBe('skip');
    // The doctor never prints a secret.
    expect(results.map(formatResult).join('\n')).not.toContain('q8Zk3VbX9pLm2NcR7tYw4HsJ6dFg1AeU');
  });

  it('fails a webhook registered elsewhere (or nowhere) and says to run register-webhook for this stack', async () => {
    const elsewhere = await run(
      healthy({
        webhookInfo: async () => ({ url: 'https://old.example.com/hook', pending_update_count: 3 }),
      }),
    );
    expect(byName(elsewhere, 'Telegram webhook')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('another URL'),
      fix: 'npm run register-webhook -- --stack CodegenOrchestrator',
    });
    const nowhere = await run(healthy({ webhookInfo: async () => ({ url: '', pending_update_count: 0 }) }));
    expect(byName(nowhere, 'Telegram webhook').detail).toContain('no webhook registered');
    expect(JSON.stringify(nowhere)).not.toContain(BOT_TOKEN);
  });

  it("warns about Telegram's last delivery error at the right URL", async () => {
    const results = await run(
      healthy({
        webhookInfo: async () => ({
          url: OUTPUTS.WebhookUrl,
          pending_update_count: 12,
          last_error_message: 'Wrong response from the webhook: 401 Unauthorized',
        }),
      }),
    );
    expect(byName(results, 'Telegram webhook')).toMatchObject({
      status: 'warn',
      detail: expect.stringContaining('401'),
    });
  });

  it.each([
    ['AccessDeniedException', 'Model use case details have not been submitted for this account.'],
    [
      'ResourceNotFoundException',
      'Model use case details have not been submitted for this account. Fill out the Anthropic use case details form',
    ],
  ])("points a Claude model's %s about the use case at Anthropic's first-use form", async (name, text) => {
    const results = await run(
      healthy({
        converse: async (id) => {
          if (id.includes('anthropic')) throw awsError(name, text);
        },
      }),
    );
    expect(byName(results, 'intent model').status).toBe('ok');
    expect(byName(results, 'agent model')).toMatchObject({ status: 'fail', fix: ANTHROPIC_USE_CASE_FIX });
    expect(ANTHROPIC_USE_CASE_FIX).toContain('Model catalog');
  });

  it('names the Region mismatch when a profile cannot be called from the stack Region', async () => {
    const results = await run(
      healthy({
        converse: async () => {
          throw awsError('ValidationException', 'The provided model identifier is invalid.');
        },
      }),
    );
    expect(byName(results, 'intent model').fix).toMatch(
      /eu\.amazon\.nova-lite-v1:0 cannot be called from eu-west-1/,
    );
  });

  it('fails when nobody confirmed the alarm subscription, and skips with a CLI command when SNS is not installed', async () => {
    const pending = await run(
      healthy({ topicSubscriptions: async () => [{ protocol: 'email', endpoint: 'x', confirmed: false }] }),
    );
    expect(byName(pending, 'alarm subscription')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('confirmation email'),
    });
    const none = await run(healthy({ topicSubscriptions: async () => [] }));
    expect(byName(none, 'alarm subscription').fix).toContain(
      `aws sns subscribe --topic-arn ${OUTPUTS.AlarmTopicArn}`,
    );
    const { topicSubscriptions: _, ...withoutSns } = healthy();
    expect(byName(await run(withoutSns), 'alarm subscription')).toMatchObject({
      status: 'skip',
      fix: expect.stringContaining('aws sns list-subscriptions-by-topic'),
    });
  });

  it('fails on dead letters and only warns about a busy update queue', async () => {
    const results = await run(
      healthy({
        queueDepth: async (url) =>
          url === OUTPUTS.DeadLetterQueueUrl ? { visible: 2, inFlight: 0 } : { visible: 1, inFlight: 3 },
      }),
    );
    expect(byName(results, 'update queue')).toMatchObject({
      status: 'warn',
      detail: '1 waiting, 3 in flight',
    });
    expect(byName(results, 'dead-letter queue')).toMatchObject({
      status: 'fail',
      fix: expect.stringContaining('redrive'),
    });
  });

  it('turns a failing AWS call into a failed line instead of a crash', async () => {
    const results = await run(
      healthy({
        queueDepth: async () => {
          throw awsError('AccessDenied', 'not authorized to perform sqs:GetQueueAttributes');
        },
      }),
    );
    expect(byName(results, 'update queue')).toMatchObject({
      status: 'fail',
      detail: expect.stringContaining('AccessDenied'),
    });
  });

  it('refuses a stack without the outputs it reads, naming them', () => {
    const { AlarmTopicArn: _, UpdateQueueUrl: __, ...older } = OUTPUTS;
    expect(() => requireOutputs('Old', older)).toThrow(/no output UpdateQueueUrl, AlarmTopicArn/);
  });
});
