/**
 * One-off scheduler port: puts a message into the updates queue at a given time, once. AWS
 * adapter: an EventBridge Scheduler `at(...)` schedule that deletes itself after it ran, its
 * target the updates FIFO queue. Local adapter: a timer that keeps pending schedules on disk, so
 * they survive a restart, and fires the ones it missed on start.
 */
export interface OneOffSchedule {
  /** 1-64 characters of `[0-9A-Za-z_.-]`: the schedule's name, unique. */
  id: string;
  at: Date;
  /** The queue message group (the chat id), so the message is ordered with the chat's updates. */
  groupId: string;
  body: string;
}

export interface OneOffScheduler {
  /** Scheduling the same id again is a no-op. */
  schedule(schedule: OneOffSchedule): Promise<void>;
  /** Deletes a pending schedule; false when there is none (unknown, or it ran already). */
  cancel(id: string): Promise<boolean>;
}
