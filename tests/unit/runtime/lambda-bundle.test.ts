import { build } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { LAMBDA_BUNDLE_OPTIONS } from '../../../scripts/bench/bundle.ts';

/**
 * The Lambda bundles, built as CDK's NodejsFunction builds them (the bench's copy of its esbuild
 * options: one ESM file, no splitting), carry neither the offline model nor the local adapters:
 * those are loaded by import() only when configuration picks them, which a deployment never does.
 */
async function bundle(entry: string) {
  const result = await build({
    ...LAMBDA_BUNDLE_OPTIONS,
    entryPoints: [entry],
    outfile: 'index.mjs',
    write: false,
    metafile: true,
    logLevel: 'silent',
  });
  const code = result.outputFiles.find((f) => f.path.endsWith('.mjs'))?.text ?? '';
  return { inputs: Object.keys(result.metafile.inputs), code };
}

const LEFT_OUT = [
  'lambdas/adapters/llm/offline-model.ts',
  'lambdas/adapters/llm/offline/',
  'lambdas/adapters/local/file-queue.ts',
  'lambdas/adapters/local/body-sealer.ts',
  'lambdas/adapters/local/memory-telemetry.ts',
  'lambdas/runtime/build-adapters.ts',
  'lambdas/app/knowledge-wiring.ts',
  'lambdas/adapters/local/use-lite-embedder.ts',
  'lambdas/adapters/local/file-vector-index.ts',
];

describe('Lambda bundles', () => {
  it.each([
    ['lambdas/handlers/queue-consumer.ts', 'lambdas/runtime/from-env.ts'],
    ['lambdas/handlers/webhook.ts', 'lambdas/runtime/webhook-runtime-from-env.ts'],
    // Project knowledge in AWS: Titan, S3 Vectors and S3 in, the local embedder (TensorFlow.js) out.
    ['lambdas/handlers/engineering/index-knowledge.ts', 'lambdas/runtime/aws-knowledge.ts'],
  ])('%s leaves the offline model and the local queue out', async (entry, compositionRoot) => {
    // Act
    const { inputs, code } = await bundle(entry);

    // Assess: none of those sources went in, and none of their code is in the output
    expect(inputs.filter((input) => LEFT_OUT.some((left) => input.startsWith(left)))).toEqual([]);
    expect(inputs).toContain(compositionRoot);
    expect(code).not.toContain('toolu_offline_');
    expect(code).not.toContain('I understand these commands');
    expect(code).not.toContain('queue.key');
  });

  it('keeps the agent and loads the offline model only through a run-time import', async () => {
    // Act
    const { inputs, code } = await bundle('lambdas/handlers/queue-consumer.ts');

    // Assess: the agent is in; the offline model is named only as a URL to import at run time
    expect(inputs).toContain('lambdas/domain/agent/turn-runner.ts');
    expect(inputs).toContain('lambdas/runtime/build-models.ts');
    expect(code).toContain('../adapters/llm/offline-model.ts');
  });
});
