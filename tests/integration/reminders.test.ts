import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

/** Reminders on the local stack: set in the conversation, delivered into the chat at their time. */
describe('reminders on the local stack', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  const texts = (h: StackHarness) => h.replies(ADMIN_ID).map((r) => r.text);
  async function waitForText(h: StackHarness, pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = texts(h).find((t) => pattern.test(t));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`no reply matching ${pattern}; got ${JSON.stringify(texts(h))}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  it('delivers a reminder set in the conversation into the chat at its time, not before', async () => {
    // Prepare
    harness = await StackHarness.start();
    const h = harness;

    // Act
    const setAt = Date.now();
    await h.say(ADMIN_ID, 'remind me in 3 seconds to check the logs');
    const confirmed = await waitForText(h, /^OK, I will remind you at /);
    const arrived = await waitForText(h, /^Reminder: check the logs$/);

    // Assess
    expect(confirmed).toMatch(/"check the logs" \(id rem-[0-9a-f]{16}\)\.$/);
    expect(arrived).toBeDefined();
    expect(Date.now() - setAt).toBeGreaterThanOrEqual(2_500);
    await h.say(ADMIN_ID, 'list reminders');
    await waitForText(h, /^You have no reminders waiting\.$/);
  }, 60_000);

  it('survives a restart (one due while stopped arrives on start), and a cancelled one never arrives', async () => {
    // Prepare: two reminders; the second is cancelled
    harness = await StackHarness.start();
    const h = harness;
    await h.say(ADMIN_ID, 'remind me in 4 seconds to water the plants');
    await waitForText(h, /water the plants" \(id rem-/);
    await h.say(ADMIN_ID, 'remind me in 5 seconds to call the bank');
    const second = await waitForText(h, /call the bank" \(id rem-/);
    const id = /\(id (rem-[0-9a-f]{16})\)/.exec(second)?.[1] ?? '';
    await h.say(ADMIN_ID, `cancel reminder ${id}`);
    await waitForText(h, new RegExp(`^Cancelled reminder ${id}`));
    await h.say(ADMIN_ID, 'list reminders');
    const listed = await waitForText(h, /^Reminders \(1\):/);
    expect(listed).toContain('water the plants');
    await h.settle();

    // Act: the stack is down while both come due
    await h.restart({}, 6_000);

    // Assess
    await waitForText(h, /^Reminder: water the plants$/);
    await new Promise((r) => setTimeout(r, 3_000));
    await h.settle();
    expect(texts(h).filter((t) => t === 'Reminder: water the plants')).toHaveLength(1);
    expect(texts(h).some((t) => /call the bank/.test(t) && t.startsWith('Reminder'))).toBe(false);
  }, 90_000);
});
