import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { Tracer } from '@aws-lambda-powertools/tracer';
import { captureLambdaHandler } from '@aws-lambda-powertools/tracer/middleware';
import type { MiddlewareObj } from '@middy/core';
import { EmfTelemetry } from '../adapters/aws/emf-telemetry.ts';
import { METRICS_NAMESPACE } from '../ports/telemetry.ts';
import { createLogger, type Logger } from '../shared/logger.ts';

/**
 * What a deployed Lambda adds around its handler, through Middy: every log line carries the
 * request id, cold start and function (and, where the app appends them, the update and chat
 * ids), counters go out as one embedded-metrics line per invocation, and the invocation is an
 * X-Ray segment. Built at module load, before the runtime, so even a failed start is logged
 * with its context. The local stack serves the same handlers without these.
 */
export interface LambdaObservability {
  logger: Logger;
  telemetry: EmfTelemetry;
  middlewares: MiddlewareObj[];
}

export interface ObservabilityOptions {
  /**
   * The Powertools Tracer (subsegments, cold-start annotation, traced SDK calls) brings the X-Ray
   * SDK, about 110 KB minified: worth it in the consumer, not in the webhook, whose cold start
   * Telegram waits on. The webhook still has Lambda's active tracing (its invocation segment).
   */
  tracer?: (serviceName: string) => Tracer;
}

export function lambdaObservability(
  serviceName: string,
  options: ObservabilityOptions = {},
): LambdaObservability {
  const logger = createLogger(serviceName);
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  const tracer = options.tracer?.(serviceName);
  return {
    logger,
    telemetry: new EmfTelemetry(metrics),
    middlewares: [
      ...(tracer ? [captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj] : []),
      injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj,
      logMetrics(metrics) as MiddlewareObj,
    ],
  };
}
