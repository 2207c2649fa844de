import * as z from 'zod';
import type { UsageLedger } from '../../usage/usage-ledger.ts';
import type { PipelineDocuments } from '../documents.ts';
import type { RunRecords } from '../run-records.ts';
import type { RunRef } from './run-ref.ts';

const usage = z.object({
  inputTokens: z.number().nonnegative(),
  outputTokens: z.number().nonnegative(),
  cacheReadTokens: z.number().nonnegative().default(0),
  cacheWriteTokens: z.number().nonnegative().default(0),
});

/** What the coding worker reports (SendTaskSuccess). */
export const developerReport = z.object({
  outcome: z.enum(['done', 'gave_up']),
  commit: z
    .string()
    .regex(/^[0-9a-f]{7,64}$/)
    .optional(),
  summary: z.string().max(8000).default(''),
  usage: usage.optional(),
  modelId: z.string().max(200).optional(),
});

const check = z.object({ exitCode: z.number().int(), outputTail: z.string().max(8000).default('') });

/** What the tester reports: green means green on a clean checkout of `commit`. */
export const testerReport = z.object({
  passed: z.boolean(),
  commit: z.string().max(64).optional(),
  tests: check.optional(),
  lint: check.optional(),
});

/**
 * Stores an attempt (its summary and test report as documents, its usage in the ledger under the
 * project) and returns the verdict the state machine branches on. Reports are validated: a worker
 * cannot put arbitrary data into the run.
 */
export async function recordAttemptStep(
  deps: { runs: RunRecords; documents: PipelineDocuments; usage: UsageLedger; now?: () => Date },
  input: { run: RunRef; attempt: number; developer: unknown; tester: unknown },
): Promise<{ passed: boolean; reportRef: string; commit: string | null }> {
  const developer = developerReport.parse(input.developer);
  const tester = testerReport.parse(input.tester);
  const { projectId, name } = input.run;
  const summaryRef = await deps.documents.put(projectId, 'summary', name, input.attempt, developer.summary);
  const report = [
    `Attempt ${input.attempt}: ${tester.passed ? 'green' : 'red'} on a clean checkout of ${tester.commit ?? developer.commit ?? '?'}.`,
    tester.tests
      ? `npm test exited ${tester.tests.exitCode}:\n${tester.tests.outputTail}`
      : 'npm test did not run.',
    tester.lint
      ? `npm run lint exited ${tester.lint.exitCode}:\n${tester.lint.outputTail}`
      : 'npm run lint did not run.',
  ].join('\n\n');
  const reportRef = await deps.documents.put(projectId, 'report', name, input.attempt, report);
  if (developer.usage && developer.modelId) {
    await deps.usage.record({
      userId: input.run.ownerId,
      projectId,
      modelId: developer.modelId,
      usage: developer.usage,
    });
  }
  const commit = tester.commit ?? developer.commit ?? null;
  await deps.runs.putAttempt(projectId, name, {
    attempt: input.attempt,
    passed: tester.passed,
    summaryRef,
    reportRef,
    ...(commit ? { commit } : {}),
    at: (deps.now?.() ?? new Date()).toISOString(),
  });
  return { passed: tester.passed && developer.outcome === 'done', reportRef, commit };
}
