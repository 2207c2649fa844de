import { afterEach, describe, expect, it, vi } from 'vitest';
import { EmfTelemetry } from '../../../lambdas/adapters/aws/emf-telemetry.ts';
import { MemoryTelemetry } from '../../../lambdas/adapters/local/memory-telemetry.ts';
import { METRICS_NAMESPACE } from '../../../lambdas/ports/telemetry.ts';

describe('EmfTelemetry', () => {
  afterEach(() => vi.restoreAllMocks());

  it('writes one embedded-metric-format line per flush, with the namespace and service dimension', () => {
    // Prepare: Powertools writes EMF lines to standard output
    const lines: string[] = [];
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      lines.push(...String(chunk).split('\n').filter(Boolean));
      return true;
    });
    const telemetry = new EmfTelemetry('queue-consumer');

    // Act
    telemetry.count('AgentModelCall');
    telemetry.count('AgentModelCall');
    telemetry.count('ModelInputTokens', 1200);
    telemetry.flush();
    telemetry.flush();

    // Assess: summed counts, and nothing written by the second, empty flush
    expect(lines).toHaveLength(1);
    const emf = JSON.parse(lines[0] ?? '{}');
    expect(emf._aws.CloudWatchMetrics[0].Namespace).toBe(METRICS_NAMESPACE);
    expect(emf._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service']]);
    expect(emf.service).toBe('queue-consumer');
    expect(emf.AgentModelCall).toEqual([1, 1]);
    expect(emf.ModelInputTokens).toBe(1200);
  });
});

describe('MemoryTelemetry', () => {
  it('adds up counts by name', () => {
    // Prepare
    const telemetry = new MemoryTelemetry();

    // Act
    telemetry.count('UpdateQueued');
    telemetry.count('UpdateQueued', 2);
    telemetry.flush();

    // Assess
    expect(telemetry.snapshot()).toEqual({ UpdateQueued: 3 });
  });
});
