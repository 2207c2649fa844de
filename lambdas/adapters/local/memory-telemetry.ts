import type { MetricName, Telemetry } from '../../ports/telemetry.ts';

/** Counters kept in memory for the local stack, readable at GET /metrics. */
export class MemoryTelemetry implements Telemetry {
  private readonly counters = new Map<MetricName, number>();

  count(name: MetricName, value = 1): void {
    this.counters.set(name, (this.counters.get(name) ?? 0) + value);
  }

  flush(): void {}

  snapshot(): Partial<Record<MetricName, number>> {
    return Object.fromEntries(this.counters);
  }
}
