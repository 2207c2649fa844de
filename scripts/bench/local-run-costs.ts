/**
 * What a pipeline run seen on the local stack would cost in AWS, from its history: transitions at
 * Step Functions Standard prices, Fargate tasks at arm64 prices (per second, one-minute minimum),
 * and the Lambda steps. Shared by the pipeline and deploy benchmarks.
 */
import type { RunHistoryEvent } from '../../lambdas/ports/pipelines.ts';

// us-east-1 list prices, December 2026 (see the README's cost notes).
export const PRICE = {
  transition: 0.000025,
  fargateVcpuSecond: 0.03238 / 3600,
  fargateGbSecond: 0.00356 / 3600,
  lambdaGbSecond: 0.0000133334,
  lambdaRequest: 0.2 / 1_000_000,
};
const LAMBDA_GB = 0.5;

/** The Fargate states of both pipelines and their task sizes (as the CDK task definitions set them). */
export const FARGATE_TASKS: Record<string, { vcpu: number; gb: number }> = {
  'Write the code': { vcpu: 1, gb: 2 },
  'Test on a fresh clone': { vcpu: 0.5, gb: 1 },
  'Deploy the release': { vcpu: 0.5, gb: 1 },
  'Roll back to the previous release': { vcpu: 0.5, gb: 1 },
};

/** Milliseconds spent in each Task state (summed over its entries). */
export function taskDurations(history: RunHistoryEvent[]): Map<string, number> {
  const byState = new Map<string, number>();
  const opened = new Map<string, number>();
  for (const e of history) {
    if (!e.stateName) continue;
    if (e.type === 'TaskStateEntered') opened.set(e.stateName, Date.parse(e.timestamp));
    if (e.type === 'TaskStateExited') {
      const start = opened.get(e.stateName);
      if (start !== undefined)
        byState.set(e.stateName, (byState.get(e.stateName) ?? 0) + Date.parse(e.timestamp) - start);
    }
  }
  return byState;
}

export interface RunCost {
  transitions: number;
  lambdaSteps: number;
  costUsd: number;
}

export function estimateRunCost(history: RunHistoryEvent[]): RunCost {
  const transitions = history.filter((e) => e.type.endsWith('StateEntered')).length;
  const byState = taskDurations(history);
  let fargate = 0;
  for (const [state, ms] of byState) {
    const size = FARGATE_TASKS[state];
    if (!size) continue;
    const seconds = Math.max(60, ms / 1000);
    fargate += seconds * (size.vcpu * PRICE.fargateVcpuSecond + size.gb * PRICE.fargateGbSecond);
  }
  const lambdaStates = [...byState.entries()].filter(([state]) => !(state in FARGATE_TASKS));
  const lambda = lambdaStates.reduce(
    (sum, [, ms]) => sum + PRICE.lambdaRequest + (Math.max(1, ms) / 1000) * LAMBDA_GB * PRICE.lambdaGbSecond,
    0,
  );
  return {
    transitions,
    lambdaSteps: lambdaStates.length,
    costUsd: transitions * PRICE.transition + fargate + lambda,
  };
}

export async function until<T>(probe: () => T | undefined, timeoutMs = 120_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}
