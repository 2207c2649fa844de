import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, type MetricName } from '../../../lambdas/ports/telemetry.ts';

/**
 * One of the product's own counters (lambdas/ports/telemetry.ts), as the Lambdas publish it through
 * Powertools Metrics in embedded metric format: namespace METRICS_NAMESPACE, dimension `service` =
 * the publishing Lambda's service name. `name` is typed by METRIC_NAMES, so renaming a metric there breaks the build here instead of leaving an empty
 * chart or an alarm that never fires.
 */
export function productMetric(
  name: MetricName,
  serviceName: string,
  options: Omit<MetricOptions, 'dimensionsMap'> = {},
): Metric {
  return new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: serviceName },
    ...options,
  });
}
