import type { CronOptions } from 'croner';

/** A schedule expression of EventBridge Scheduler as croner runs it: a pattern and its options. */
export interface CronerPlan {
  pattern: string;
  options: CronOptions;
}

const RATE = /^rate\((\d+) (second|seconds|minute|minutes|hour|hours|day|days)\)$/;
const CRON = /^cron\((.+)\)$/;
const UNIT_SECONDS: Record<string, number> = { second: 1, minute: 60, hour: 3600, day: 86_400 };

/**
 * Converts `rate(value unit)` and `cron(minutes hours day-of-month month day-of-week year)` into
 * croner's terms. Cron: croner's seven-field form with seconds 0 in front, the year kept, `?` as
 * croner reads it (any), and Quartz weekday numbers (1 = Sunday), which EventBridge uses too;
 * times in UTC, EventBridge's default. Rate: every second, throttled to one run per interval,
 * the first one interval after the start.
 * `seconds` is a unit EventBridge refuses (its minimum is one minute): only tests use it locally.
 */
export function toCroner(expression: string, now: Date = new Date()): CronerPlan {
  const rate = RATE.exec(expression.trim());
  if (rate) {
    const value = Number(rate[1]);
    const unit = (rate[2] ?? '').replace(/s$/, '');
    const seconds = value * (UNIT_SECONDS[unit] ?? Number.NaN);
    if (!Number.isFinite(seconds) || seconds < 1) throw new Error(`Unsupported rate: ${expression}`);
    // The first run one interval after the schedule starts, as EventBridge does.
    return {
      pattern: '* * * * * *',
      options: { interval: seconds, startAt: new Date(now.getTime() + seconds * 1000), timezone: 'UTC' },
    };
  }
  const cron = CRON.exec(expression.trim());
  if (cron) {
    const fields = (cron[1] ?? '').trim().split(/\s+/);
    if (fields.length !== 6) throw new Error(`An EventBridge cron expression has 6 fields: ${expression}`);
    return {
      pattern: `0 ${fields.join(' ')}`,
      // sloppyRanges: EventBridge writes steps as `0/30` (Quartz), croner by default only `*/30`.
      options: { mode: '7-part', alternativeWeekdays: true, sloppyRanges: true, timezone: 'UTC' },
    };
  }
  throw new Error(`Not a rate(...) or cron(...) expression: ${expression}`);
}
