/**
 * Telemetry port: counters an operator watches on the dashboard. CloudWatch embedded metrics
 * (Powertools) in AWS, in-memory counters locally (GET /metrics on the local HTTP API).
 */
export const METRIC_NAMES = [
  'UpdateQueued',
  'UpdateDuplicate',
  'WebhookUnauthorized',
  'WebhookRejected',
  'UpdateRetried',
  'UpdateFailedPermanently',
  'UpdateDeadLettered',
  'ModelThrottled',
  'StrangerRefused',
  'AgentTurnCompleted',
  'AgentModelCall',
  'AgentToolCall',
  'AgentToolError',
  'AgentStoppedAtIterationCap',
  'AgentStoppedAtBudget',
  'AgentTurnPaused',
  'ConfirmationAsked',
  'ModelInputTokens',
  'ModelOutputTokens',
  'ModelThrottled',
  'SecretStoredFromChat',
] as const;

export type MetricName = (typeof METRIC_NAMES)[number];

export interface Telemetry {
  count(name: MetricName, value?: number): void;
  /** Sends what was counted during this invocation. */
  flush(): void;
}

export const NO_TELEMETRY: Telemetry = { count: () => undefined, flush: () => undefined };

/** The CloudWatch namespace of the product's own metrics (dimension: service). */
export const METRICS_NAMESPACE = 'CodegenOrchestrator';
