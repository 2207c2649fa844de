import { Metric, type MetricOptions } from 'aws-cdk-lib/aws-cloudwatch';
import { METRICS_NAMESPACE, type MetricName } from '../../../lambdas/ports/telemetry.ts';

/**
 * Counters of the one-call webhook and the self-retrying consumer that alarms watch. The Lambdas
 * count them through the same telemetry port (lambdas/ports/telemetry.ts); until METRIC_NAMES
 * lists them they are named here, and once it does the union below is simply MetricName.
 *
 * - `WebhookUnauthorized`      (webhook) a request without the right secret token (401).
 * - `ModelThrottled`           (consumer) a model call answered ThrottlingException.
 * - `UpdateFailedPermanently`  (consumer) an update given up as unrecoverable (no retry helps).
 * - `UpdateDeadLettered`       (consumer) an update moved to the DLQ after its last retry.
 */
export const OPERATIONS_METRIC_NAMES = [
  'WebhookUnauthorized',
  'ModelThrottled',
  'UpdateFailedPermanently',
  'UpdateDeadLettered',
] as const;

export type ProductMetricName = MetricName | (typeof OPERATIONS_METRIC_NAMES)[number];

/**
 * One of the product's own counters (lambdas/ports/telemetry.ts), as the Lambdas publish it through
 * Powertools Metrics in embedded metric format: namespace METRICS_NAMESPACE, dimension `service` =
 * the publishing Lambda's service name. `name` is typed by METRIC_NAMES (and the operations
 * counters above), so renaming a metric there breaks the build here instead of leaving an empty
 * chart or an alarm that never fires.
 */
export function productMetric(
  name: ProductMetricName,
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
