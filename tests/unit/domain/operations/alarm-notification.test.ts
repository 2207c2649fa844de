import { readFileSync } from 'node:fs';
import type { SNSEvent } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  AlarmNotifier,
  formatAlarm,
  parseAlarmMessage,
} from '../../../../lambdas/domain/operations/alarm-notification.ts';
import type { Logger } from '../../../../lambdas/shared/logger.ts';
import { RecordingChat } from '../../../support/recording-chat.ts';

/** An SNS event with a CloudWatch alarm as AWS documents it (fixtures/events). */
const event = JSON.parse(
  readFileSync(new URL('../../../fixtures/events/cloudwatch-alarm-sns.json', import.meta.url), 'utf8'),
) as SNSEvent;
const sns = event.Records[0]!.Sns;

function world() {
  const chat = new RecordingChat();
  const warnings: Array<{ message: string; data: unknown }> = [];
  const logger = {
    warn: (message: string, data: unknown) => warnings.push({ message, data }),
  } as unknown as Logger;
  const notifier = new AlarmNotifier({ chat, adminIds: new Set([111, 222]), logger });
  return { chat, warnings, notifier };
}

describe('AlarmNotifier', () => {
  it('sends the alarm change to every admin: name, state, reason, what to check, console link', async () => {
    // Prepare
    const w = world();

    // Act
    const outcome = await w.notifier.notify({ id: sns.MessageId, body: sns.Message });

    // Assess
    expect(outcome).toBe('sent');
    expect(w.chat.sent.map((m) => m.chatId)).toEqual([111, 222]);
    const text = w.chat.sent[0]?.text ?? '';
    expect(text).toContain('Alarm OrchestratorStack-AlarmsDeadLetters-1XYZ: ALARM (was OK)');
    expect(text).toContain('Why: Threshold Crossed: 1 out of the last 1 datapoints');
    expect(text).toContain('What to check: Updates wait in the DLQ');
    expect(text).toContain(
      'Console: https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#alarmsV2:alarm/OrchestratorStack-AlarmsDeadLetters-1XYZ',
    );
    expect(w.warnings).toEqual([]);
  });

  it.each([
    { what: 'not JSON', body: 'ALARM!!' },
    { what: 'another kind of message', body: JSON.stringify({ hello: 'world' }) },
    {
      what: 'an unknown state',
      body: JSON.stringify({ ...JSON.parse(sns.Message), NewStateValue: 'ON_FIRE' }),
    },
  ])('drops $what with a log line and sends nothing', async ({ body }) => {
    // Prepare
    const w = world();

    // Act
    const outcome = await w.notifier.notify({ id: 'm-1', body });

    // Assess
    expect(outcome).toBe('dropped');
    expect(w.chat.sent).toEqual([]);
    expect(w.warnings).toEqual([
      { message: 'malformed alarm message dropped', data: { messageId: 'm-1', problems: expect.any(Array) } },
    ]);
  });

  it('lets a failed send fail the delivery, so SNS retries it', async () => {
    // Prepare
    const w = world();
    w.chat.failNextSend(new Error('Telegram is down'));

    // Act + Assess
    await expect(w.notifier.notify({ id: sns.MessageId, body: sns.Message })).rejects.toThrow(
      'Telegram is down',
    );
  });

  it.each([
    { description: undefined, name: 'Stack-JobsJobsDeadLetters-9', hint: /scheduled job failed/ },
    { description: undefined, name: 'Stack-AlarmsWebhookErrors-1', hint: /A Lambda failed/ },
    { description: 'Look at the queue.', name: 'Stack-Anything-1', hint: /^Look at the queue\.$/ },
  ])('hints what to check for $name', ({ description, name, hint }) => {
    // Prepare
    const parsed = parseAlarmMessage(
      JSON.stringify({ ...JSON.parse(sns.Message), AlarmName: name, AlarmDescription: description ?? null }),
    );

    // Act
    const text = parsed.ok ? formatAlarm(parsed.alarm) : '';

    // Assess
    expect(/What to check: (.*)/.exec(text)?.[1]).toMatch(hint);
  });
});
