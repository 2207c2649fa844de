import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricName, type Telemetry } from '../../ports/telemetry.ts';

/**
 * Counters as CloudWatch embedded metric format lines (Powertools Metrics): no API call on the
 * hot path; CloudWatch turns the log line into metrics under the `service` dimension.
 */
export class EmfTelemetry implements Telemetry {
  private readonly metrics: Metrics;
  /** False when Middy's logMetrics flushes a shared Metrics instance after each invocation. */
  private readonly flushes: boolean;

  /** @param source a service name, or the Metrics instance that Middy's logMetrics flushes. */
  constructor(source: string | Metrics) {
    this.metrics =
      typeof source === 'string'
        ? new Metrics({ namespace: METRICS_NAMESPACE, serviceName: source })
        : source;
    this.flushes = typeof source === 'string';
  }

  count(name: MetricName, value = 1): void {
    this.metrics.addMetric(name, MetricUnit.Count, value);
  }

  flush(): void {
    if (this.flushes && this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }
}
