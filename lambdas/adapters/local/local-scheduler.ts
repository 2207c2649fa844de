import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { OneOffSchedule, OneOffScheduler } from '../../ports/one-off-scheduler.ts';
import type { QueueProducer } from '../../ports/queue.ts';
import { JsonStateFile } from './json-state-file.ts';

interface Pending {
  id: string;
  at: string;
  groupId: string;
  body: string;
}

// setTimeout holds at most ~24.8 days; longer waits are re-armed when they run out.
const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * The local stand-in for EventBridge Scheduler: one timer per pending schedule, the schedules in
 * a JSON file under the data directory. On start, missed ones fire at once and the rest are armed
 * again; a fired schedule is removed only after its message is on the queue.
 */
export class LocalScheduler implements OneOffScheduler {
  private readonly state: JsonStateFile<{ pending: Pending[] }>;
  private readonly timers = new Map<string, NodeJS.Timeout>();
  private closed = false;

  constructor(
    file: string,
    private readonly queue: QueueProducer,
    private readonly log: (line: string) => void = () => undefined,
  ) {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    this.state = new JsonStateFile(file, () => ({ pending: [] }));
  }

  /** Arms every pending schedule; those whose time passed while stopped fire now. */
  start(): void {
    for (const pending of this.state.read().pending) this.arm(pending);
  }

  async schedule(schedule: OneOffSchedule): Promise<void> {
    const pending: Pending = {
      id: schedule.id,
      at: schedule.at.toISOString(),
      groupId: schedule.groupId,
      body: schedule.body,
    };
    const added = await this.state.update((s) => {
      if (s.pending.some((p) => p.id === pending.id)) return false;
      s.pending.push(pending);
      return true;
    });
    if (added) this.arm(pending);
  }

  async cancel(id: string): Promise<boolean> {
    clearTimeout(this.timers.get(id));
    this.timers.delete(id);
    return this.state.update((s) => {
      const before = s.pending.length;
      s.pending = s.pending.filter((p) => p.id !== id);
      return s.pending.length < before;
    });
  }

  /** Pending schedules, soonest first. */
  pending(): Array<{ id: string; at: string }> {
    return [...this.state.read().pending].sort((a, b) => a.at.localeCompare(b.at));
  }

  close(): void {
    this.closed = true;
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
  }

  private arm(pending: Pending): void {
    if (this.closed) return;
    clearTimeout(this.timers.get(pending.id));
    const delay = Math.max(0, new Date(pending.at).getTime() - Date.now());
    const timer = setTimeout(
      () => {
        if (delay > MAX_TIMER_MS) this.arm(pending);
        else void this.fire(pending);
      },
      Math.min(delay, MAX_TIMER_MS),
    );
    timer.unref?.();
    this.timers.set(pending.id, timer);
  }

  private async fire(pending: Pending): Promise<void> {
    this.timers.delete(pending.id);
    if (this.closed) return;
    if (!this.state.read().pending.some((p) => p.id === pending.id)) return;
    try {
      await this.queue.send({
        groupId: pending.groupId,
        deduplicationId: `schedule-${pending.id}`,
        body: pending.body,
      });
      await this.state.update((s) => {
        s.pending = s.pending.filter((p) => p.id !== pending.id);
      });
    } catch (error) {
      // Kept on disk: tried again in a minute, or on the next start.
      this.log(`schedule ${pending.id} not delivered: ${String(error)}`);
      if (!this.closed) {
        const retry = setTimeout(() => void this.fire(pending), 60_000);
        retry.unref?.();
        this.timers.set(pending.id, retry);
      }
    }
  }
}
