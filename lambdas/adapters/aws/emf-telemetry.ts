import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import { METRICS_NAMESPACE, type MetricName, type Telemetry } from '../../ports/telemetry.ts';

/**
 * Counters as CloudWatch embedded metric format lines (Powertools Metrics): no API call on the
 * hot path; CloudWatch turns the log line into metrics under the `service` dimension.
 */
export class EmfTelemetry implements Telemetry {
  private readonly metrics: Metrics;

  constructor(serviceName: string) {
    this.metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  }

  count(name: MetricName, value = 1): void {
    this.metrics.addMetric(name, MetricUnit.Count, value);
  }

  flush(): void {
    if (this.metrics.hasStoredMetrics()) this.metrics.publishStoredMetrics();
  }
}
