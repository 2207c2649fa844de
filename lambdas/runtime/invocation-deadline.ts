import { AsyncLocalStorage } from 'node:async_hooks';

/**
 * The deadline of the invocation being handled, carried through async calls without threading
 * it through grammY. Concurrent invocations in one process (the local poller) each see their own.
 */
const storage = new AsyncLocalStorage<{ deadlineAt: number }>();

export function withDeadline<T>(deadlineAt: number, work: () => Promise<T>): Promise<T> {
  return storage.run({ deadlineAt }, work);
}

/** Milliseconds left in the current invocation, or undefined outside one. */
export function remainingMs(): number | undefined {
  const current = storage.getStore();
  return current ? current.deadlineAt - Date.now() : undefined;
}
