import type { SecretStore } from '../ports/secrets.ts';

/**
 * Reads secrets once and keeps them for `ttlMs`, as Middy's secrets middleware does: a warm
 * Lambda does not call Secrets Manager per request, and a rotated value is picked up after the
 * TTL. Concurrent first reads share one fetch.
 */
export class CachedSecrets {
  private readonly entries = new Map<string, { value: Promise<string>; fetchedAt: number }>();

  constructor(
    private readonly store: SecretStore,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  get(name: string): Promise<string> {
    const entry = this.entries.get(name);
    if (entry && this.now() - entry.fetchedAt < this.ttlMs) return entry.value;
    const value = this.store.get(name);
    this.entries.set(name, { value, fetchedAt: this.now() });
    // A failed read is not cached: the next call tries again.
    value.catch(() => this.entries.delete(name));
    return value;
  }
}
