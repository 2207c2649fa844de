import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';

export interface RateLimit {
  /** Tokens added per second. */
  ratePerSecond: number;
  /** The bucket's size: how many requests may come at once after a quiet spell. */
  burst: number;
}

export type RateDecision =
  | { allowed: true; remaining: number }
  | { allowed: false; retryAfterSeconds: number };

const ATTEMPTS = 5;

/**
 * A token bucket per caller (an API key) in the `sessions` table, shared by every Lambda instance:
 * read the bucket, refill it for the time passed, take one token with a versioned conditional
 * write, and try again when another request took one meanwhile. A refused request writes nothing.
 * HTTP APIs have no usage plans, so this is the per-key limit; the stage's throttle caps the total.
 */
export class TokenBuckets {
  constructor(
    private readonly store: KeyValueStore,
    private readonly limit: RateLimit,
    private readonly nowMs: () => number = Date.now,
  ) {
    if (!(limit.ratePerSecond > 0) || !(limit.burst >= 1))
      throw new Error('A rate limit needs rate > 0 and burst >= 1');
  }

  async take(bucketId: string): Promise<RateDecision> {
    const key = { pk: `RATE#${bucketId}`, sk: 'BUCKET' };
    const { ratePerSecond: rate, burst } = this.limit;
    for (let attempt = 1; attempt <= ATTEMPTS; attempt++) {
      const now = this.nowMs();
      const item = await this.store.get('sessions', key);
      const version = Number(item?.version ?? 0);
      const elapsed = item ? Math.max(0, now - Number(item.at)) / 1000 : 0;
      const tokens = item ? Math.min(burst, Number(item.tokens) + elapsed * rate) : burst;
      if (tokens < 1)
        return { allowed: false, retryAfterSeconds: Math.max(1, Math.ceil((1 - tokens) / rate)) };
      try {
        await this.store.put(
          'sessions',
          {
            ...key,
            tokens: tokens - 1,
            at: now,
            version: version + 1,
            // A full bucket is the same as no bucket: an idle key's item may expire.
            expiresAt: Math.ceil(now / 1000 + burst / rate + 60),
          },
          item ? { ifVersion: version } : { ifAbsent: true },
        );
        return { allowed: true, remaining: Math.floor(tokens - 1) };
      } catch (error) {
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    // Heavy contention on one key is itself a rate above the limit.
    return { allowed: false, retryAfterSeconds: 1 };
  }
}
