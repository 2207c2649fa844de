import * as z from 'zod';
import type { ChatChannel } from '../../ports/chat.ts';
import type { Logger } from '../../shared/logger.ts';

/**
 * The JSON CloudWatch publishes to an SNS topic when an alarm changes state (the SNS message's
 * `Message`). Only the fields we show are required; the rest (Trigger, actions) pass through.
 */
export const cloudWatchAlarmSchema = z.object({
  AlarmName: z.string().min(1).max(255),
  AlarmDescription: z.string().max(1024).nullish(),
  AWSAccountId: z.string().optional(),
  NewStateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']),
  OldStateValue: z.enum(['OK', 'ALARM', 'INSUFFICIENT_DATA']).optional(),
  NewStateReason: z.string().max(4000),
  StateChangeTime: z.string(),
  /** The alarm's ARN names its Region: `arn:aws:cloudwatch:<region>:<account>:alarm:<name>`. */
  AlarmArn: z.string().regex(/^arn:[\w-]+:cloudwatch:[a-z0-9-]+:\d*:alarm:/),
});

export type AlarmChange = z.infer<typeof cloudWatchAlarmSchema>;

/** What to check first, by a fragment of the alarm's name (the alarm's construct id), when it says nothing itself. */
const HINTS: Array<[RegExp, string]> = [
  [
    /JobsDeadLetters/,
    'A scheduled job failed after its retries: read the job Lambda logs for the failed run, fix, then purge or redrive the jobs DLQ.',
  ],
  [/DeadLetters/, 'Messages wait in a dead-letter queue: inspect them, fix the cause, then redrive.'],
  [
    /Errors$|Errors-/,
    'A Lambda failed: open its log group and search for ERROR around the state change time.',
  ],
  [/Throttles/, 'A Lambda was throttled: check the account and function concurrency.'],
];

export function hintFor(alarm: AlarmChange): string {
  const described = alarm.AlarmDescription?.trim();
  if (described) return described;
  return (
    HINTS.find(([pattern]) => pattern.test(alarm.AlarmName))?.[1] ??
    "Open the alarm's metric and the logs of what it watches."
  );
}

export function consoleLink(alarm: AlarmChange): string {
  const region = alarm.AlarmArn.split(':')[3] ?? 'us-east-1';
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#alarmsV2:alarm/${encodeURIComponent(alarm.AlarmName)}`;
}

const ICONS: Record<AlarmChange['NewStateValue'], string> = {
  ALARM: '🔴',
  OK: '🟢',
  INSUFFICIENT_DATA: '⚪',
};

/** The admins' message: which alarm, its new state, why, where to look, and what to check. */
export function formatAlarm(alarm: AlarmChange): string {
  const from = alarm.OldStateValue ? ` (was ${alarm.OldStateValue})` : '';
  return [
    `${ICONS[alarm.NewStateValue]} Alarm ${alarm.AlarmName}: ${alarm.NewStateValue}${from}`,
    `Why: ${alarm.NewStateReason}`,
    `When: ${alarm.StateChangeTime}`,
    `What to check: ${hintFor(alarm)}`,
    `Console: ${consoleLink(alarm)}`,
  ].join('\n');
}

/** Parses an SNS message body; undefined for anything that is not a CloudWatch alarm change. */
export function parseAlarmMessage(
  message: string,
): { ok: true; alarm: AlarmChange } | { ok: false; problems: string[] } {
  let json: unknown;
  try {
    json = JSON.parse(message);
  } catch {
    return { ok: false, problems: ['not JSON'] };
  }
  const parsed = cloudWatchAlarmSchema.safeParse(json);
  return parsed.success
    ? { ok: true, alarm: parsed.data }
    : {
        ok: false,
        problems: parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`),
      };
}

/**
 * Sends each alarm state change to every admin's chat. A malformed message is logged and dropped
 * (a retry would fail the same way); a failed send throws, so the delivery is retried.
 */
export class AlarmNotifier {
  constructor(private readonly deps: { chat: ChatChannel; adminIds: Iterable<number>; logger: Logger }) {}

  async notify(message: { id: string; body: string }): Promise<'sent' | 'dropped'> {
    const parsed = parseAlarmMessage(message.body);
    if (!parsed.ok) {
      this.deps.logger.warn('malformed alarm message dropped', {
        messageId: message.id,
        problems: parsed.problems,
      });
      return 'dropped';
    }
    const text = formatAlarm(parsed.alarm);
    for (const adminId of this.deps.adminIds) await this.deps.chat.send(adminId, text);
    return 'sent';
  }
}
