import { Cron } from 'croner';
import { describe, expect, it } from 'vitest';
import { JOBS } from '../../../lambdas/config/schedules.ts';
import { toCroner } from '../../../scripts/local-stack/schedule-expressions.ts';

/** The next runs croner computes for an EventBridge expression, from a fixed instant. */
function nextRuns(expression: string, from: string, count: number): string[] {
  const plan = toCroner(expression);
  const cron = new Cron(plan.pattern, { ...plan.options, paused: true });
  return cron.nextRuns(count, new Date(from)).map((d) => d.toISOString());
}

describe('EventBridge Scheduler expressions for croner', () => {
  it.each([
    {
      expression: 'cron(0 12 ? * MON-FRI *)',
      from: '2026-12-04T00:00:00Z', // a Friday
      expected: ['2026-12-04T12:00:00.000Z', '2026-12-07T12:00:00.000Z', '2026-12-08T12:00:00.000Z'],
    },
    {
      // EventBridge numbers weekdays 1-7 from Sunday: 2-6 is Monday to Friday.
      expression: 'cron(0 12 ? * 2-6 *)',
      from: '2026-12-04T00:00:00Z',
      expected: ['2026-12-04T12:00:00.000Z', '2026-12-07T12:00:00.000Z', '2026-12-08T12:00:00.000Z'],
    },
    {
      expression: 'cron(15 10 ? * 6L 2027)',
      from: '2026-12-04T00:00:00Z',
      expected: ['2027-01-29T10:15:00.000Z', '2027-02-26T10:15:00.000Z'],
    },
    {
      expression: 'cron(0/30 * 1 * ? *)',
      from: '2026-12-31T23:50:00Z',
      expected: ['2027-01-01T00:00:00.000Z', '2027-01-01T00:30:00.000Z'],
    },
  ])('runs $expression at the times EventBridge would', ({ expression, from, expected }) => {
    // Act
    const runs = nextRuns(expression, from, expected.length);

    // Assess
    expect(runs).toEqual(expected);
  });

  it.each([
    { expression: 'rate(5 minutes)', seconds: 300 },
    { expression: 'rate(1 hour)', seconds: 3600 },
    { expression: 'rate(2 days)', seconds: 172_800 },
    { expression: 'rate(1 second)', seconds: 1 },
  ])('turns $expression into one run per $seconds s', ({ expression, seconds }) => {
    // Act
    const plan = toCroner(expression);

    // Assess
    expect(plan.options.interval).toBe(seconds);
  });

  it.each(['cron(0 12 * * ?)', 'rate(0 minutes)', 'rate(5 weeks)', 'at(2026-12-01T00:00:00)', '*/5 * * * *'])(
    'refuses %s',
    (expression) => {
      // Act + Assess
      expect(() => toCroner(expression)).toThrow();
    },
  );

  it('converts every job of the schedule list', () => {
    // Act + Assess
    for (const job of JOBS) expect(() => toCroner(job.expression)).not.toThrow();
  });
});
