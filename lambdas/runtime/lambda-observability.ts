import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { Tracer } from '@aws-lambda-powertools/tracer';
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

export function lambdaObservability(serviceName: string): LambdaObservability {
  const logger = createLogger(serviceName);
  const metrics = new Metrics({ namespace: METRICS_NAMESPACE, serviceName });
  const tracer = new Tracer({ serviceName });
  return {
    logger,
    telemetry: new EmfTelemetry(metrics),
    middlewares: [
      captureLambdaHandler(tracer, { captureResponse: false }) as MiddlewareObj,
      injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj,
      logMetrics(metrics) as MiddlewareObj,
    ],
  };
}
