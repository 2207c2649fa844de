import { z } from 'zod';

/**
 * What the deployer needs and the job must never carry (container overrides are visible in ECS):
 * the repository token, the app's whole .env and the server's SSH key. The job-context broker (or the
 * local parent over IPC) hands it out for a live run only.
 */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,127}$/;

export const DeployContext = z.object({
  token: z.string().min(1),
  cloneUrl: z.string().min(1),
  /** The full .env: config and secret values. One line each in the file, so no line breaks. */
  env: z.record(z.string().regex(ENV_NAME), z.string().regex(/^[^\r\n\0]*$/)),
  server: z.object({
    kind: z.enum(['local', 'ssh']),
    host: z.string().regex(/^[\w.:-]+$/),
    sshUser: z.string().regex(/^[a-z_][\w.-]*$/i),
    sshPort: z.number().int().min(1).max(65535),
    /** Absolute: the apps live under `<baseDir>/apps/<projectName>/`. */
    baseDir: z.string().regex(/^\/[^\r\n\0]*$/),
    /** OpenSSH private key (ssh only): loaded into an ssh-agent, never written to disk. */
    privateKey: z.string().optional(),
  }),
  /** A registry to `docker login` to before pulling (docker runner only). */
  registry: z
    .object({ server: z.string().min(1), username: z.string().min(1), password: z.string() })
    .optional(),
});
export type DeployContext = z.infer<typeof DeployContext>;

export class DeployContextError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeployContextError';
  }
}

/**
 * Validates what the broker answered. The message names only the fields at fault, never a value:
 * the answer is full of secrets and the message becomes a failure cause.
 */
export function parseDeployContext(value: unknown): DeployContext {
  const parsed = DeployContext.safeParse(value);
  if (parsed.success) {
    if (parsed.data.server.kind === 'ssh' && !parsed.data.server.privateKey)
      throw new DeployContextError('Deploy context is invalid: server.privateKey is required for ssh');
    return parsed.data;
  }
  const fields = [...new Set(parsed.error.issues.map((issue) => issue.path.join('.') || '(root)'))];
  throw new DeployContextError(`Deploy context is invalid at: ${fields.slice(0, 10).join(', ')}`);
}

/** Every secret value the context holds, for failureCause. Values under 4 characters are left out:
 *  a "1" or "dev" is config, and replacing it would garble every message (a real secret is longer). */
export function contextSecrets(context: DeployContext): string[] {
  return [
    context.token,
    ...Object.values(context.env),
    context.server.privateKey ?? '',
    context.registry?.password ?? '',
  ].filter((value) => value.length >= 4);
}
