import { afterEach, describe, expect, it } from 'vitest';
import { ADMIN_ID, StackHarness } from '../support/local-stack-harness.ts';

/** Reminders on the local stack: set in the conversation, delivered into the chat at their time. */
describe('reminders on the local stack', () => {
  let harness: StackHarness | undefined;
  afterEach(async () => {
    await harness?.dispose();
    harness = undefined;
  });

  it('delivers a reminder set in the conversation into the chat at its time, not before', async () => {
    // Prepare
    harness = await StackHarness.start();
    const h = harness;

    // Act
    const setAt = Date.now();
    await h.say(ADMIN_ID, 'remind me in 3 seconds to check the logs');
    const confirmed = await h.waitForText(ADMIN_ID, /^OK, I will remind you at /, { timeoutMs: 20_000 });
    const arrived = await h.waitForText(ADMIN_ID, /^Reminder: check the logs$/, { timeoutMs: 20_000 });

    // Assess
    expect(confirmed).toMatch(/"check the logs" \(id rem-[0-9a-f]{16}\)\.$/);
    expect(arrived).toBeDefined();
    expect(Date.now() - setAt).toBeGreaterThanOrEqual(2_500);
    await h.say(ADMIN_ID, 'list reminders');
    await h.waitForText(ADMIN_ID, /^You have no reminders waiting\.$/, { timeoutMs: 20_000 });
  }, 60_000);

  it('survives a restart (one due while stopped arrives on start), and a cancelled one never arrives', async () => {
    // Prepare: two reminders; the second is cancelled
    harness = await StackHarness.start();
    const h = harness;
    await h.say(ADMIN_ID, 'remind me in 4 seconds to water the plants');
    await h.waitForText(ADMIN_ID, /water the plants" \(id rem-/, { timeoutMs: 20_000 });
    await h.say(ADMIN_ID, 'remind me in 5 seconds to call the bank');
    const second = await h.waitForText(ADMIN_ID, /call the bank" \(id rem-/, { timeoutMs: 20_000 });
    const id = /\(id (rem-[0-9a-f]{16})\)/.exec(second)?.[1] ?? '';
    await h.say(ADMIN_ID, `cancel reminder ${id}`);
    await h.waitForText(ADMIN_ID, new RegExp(`^Cancelled reminder ${id}`), { timeoutMs: 20_000 });
    await h.say(ADMIN_ID, 'list reminders');
    const listed = await h.waitForText(ADMIN_ID, /^Reminders \(1\):/, { timeoutMs: 20_000 });
    expect(listed).toContain('water the plants');
    await h.settle();

    // Act: the stack is down while both come due
    await h.restart({}, 6_000);

    // Assess
    await h.waitForText(ADMIN_ID, /^Reminder: water the plants$/, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 3_000));
    await h.settle();
    expect(h.texts(ADMIN_ID).filter((t) => t === 'Reminder: water the plants')).toHaveLength(1);
    expect(h.texts(ADMIN_ID).some((t) => /call the bank/.test(t) && t.startsWith('Reminder'))).toBe(false);
  }, 90_000);
});
