/**
 * Memoises an async initialiser across warm invocations, but forgets a failed attempt so the
 * next invocation tries again instead of failing forever on a cached rejection.
 */
export function lazy<T>(init: () => Promise<T>): () => Promise<T> {
  let pending: Promise<T> | undefined;
  return () => {
    pending ??= init().catch((error: unknown) => {
      pending = undefined;
      throw error;
    });
    return pending;
  };
}

/** Memoises a synchronous initialiser; a throw is not cached. */
export function once<T>(init: () => T): () => T {
  let value: { v: T } | undefined;
  return () => {
    value ??= { v: init() };
    return value.v;
  };
}
