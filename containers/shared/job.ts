import { z } from 'zod';
import { InvalidJobError } from './errors.ts';

/**
 * The jobs as Step Functions passes them in the `JOB` container override: ids and references,
 * never tokens (overrides are visible in ECS's API; they are also capped at 8,192 characters,
 * which is why a long spec travels as `specRef`).
 */
const common = {
  runName: z.string().min(1).max(80),
  projectName: z.string().min(1),
  /** `owner/name` */
  repository: z.string().regex(/^[\w.-]+\/[\w.-]+$/),
  branch: z.string().regex(/^[\w./-]+$/),
};

export const CodingJob = z
  .object({
    ...common,
    /** The spec as text, or `specRef`: a path inside the repository, read after the clone. */
    spec: z.string().min(1).optional(),
    specRef: z
      .string()
      .regex(/^(?!\/)(?!.*\.\.)[\w./-]+$/)
      .optional(),
    attempt: z.number().int().min(1),
    testReport: z.string().optional(),
    maxTurns: z.number().int().min(1).max(500).optional(),
  })
  .refine((job) => job.spec !== undefined || job.specRef !== undefined, 'spec or specRef is required');
export type CodingJob = z.infer<typeof CodingJob>;

export const TestJob = z.object({ ...common, commit: z.string().regex(/^[0-9a-f]{7,64}$/) });
export type TestJob = z.infer<typeof TestJob>;

export function parseJob<T>(schema: z.ZodType<T>, text: string | undefined): T {
  if (!text) throw new InvalidJobError('JOB is not set');
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new InvalidJobError('JOB is not JSON');
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success)
    throw new InvalidJobError(`JOB is invalid: ${z.prettifyError(parsed.error).replace(/\n/g, '; ')}`);
  return parsed.data;
}
