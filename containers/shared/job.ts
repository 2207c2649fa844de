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

const commit = z.string().regex(/^[0-9a-f]{7,64}$/);

export const TestJob = z.object({ ...common, commit });
export type TestJob = z.infer<typeof TestJob>;

/**
 * The deployer's job: which commit to put live (or to roll back from) on which server. The server's
 * address, key and the app's .env come from the job-context broker (DeployContext), never from here.
 */
export const DeployJob = z.object({
  runName: common.runName,
  projectId: z.string().min(1),
  /** Names the app's directory on the server: letters, digits, `.`, `_`, `-` only. */
  projectName: z.string().regex(/^[A-Za-z0-9][\w.-]{0,99}$/),
  repository: common.repository,
  commit,
  action: z.enum(['deploy', 'rollback']),
  port: z.number().int().min(1024).max(65535),
  serverId: z.string().min(1),
});
export type DeployJob = z.infer<typeof DeployJob>;

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
