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
