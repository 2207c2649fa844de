import * as z from 'zod';
import { invalid } from '../errors.ts';

/** A machine projects are deployed to: over SSH, or the machine the local stack runs on. */
export interface Server {
  id: string;
  host: string;
  sshUser: string;
  sshPort: number;
  kind: 'ssh' | 'local';
  /** The apps root on the server, e.g. /srv/orchestrator: each project gets a directory below. */
  baseDir: string;
  /** Inclusive: the ports projects on this server may listen on. */
  portRange: { from: number; to: number };
  addedAt: string;
}

export const LOCAL_SERVER_ID = 'local';

const port = (what: string) =>
  z
    .number({ error: `${what} must be a number` })
    .int(`${what} must be a whole number`)
    .min(1024, `${what} must be 1024-65535 (ports below 1024 need root)`)
    .max(65535, `${what} must be 1024-65535`);

const host = z
  .string()
  .trim()
  .toLowerCase()
  .refine((h) => [z.ipv4(), z.ipv6(), z.hostname()].some((s) => s.safeParse(h).success) && h.length <= 253, {
    error: 'host must be a hostname or an IP address',
  });

export const newServerSchema = z.object({
  host,
  sshUser: z
    .string()
    .regex(/^[a-z_][a-z0-9_-]{0,31}$/, 'user must be a Unix user name (lower case, digits, _ and -)'),
  sshPort: z
    .number({ error: 'ssh port must be a number' })
    .int('ssh port must be a whole number')
    .min(1, 'ssh port must be 1-65535')
    .max(65535, 'ssh port must be 1-65535')
    .default(22),
  portRange: z
    .object({ from: port('the first port'), to: port('the last port') })
    .refine((r) => r.from < r.to, { error: 'the port range must run from a lower to a higher port' })
    .default({ from: 20000, to: 20999 }),
  // A plain absolute path: it ends up in shell commands and Ansible variables on the server.
  baseDir: z
    .string()
    .regex(/^\/[A-Za-z0-9._/-]*$/, 'the apps directory must be an absolute path')
    .refine((d) => !d.split('/').includes('..'), { error: 'the apps directory must not contain ..' })
    .default('/srv/orchestrator'),
});

export type NewServer = z.input<typeof newServerSchema>;

/** Parses what an admin typed; every problem in one clear message. */
export function validateNewServer(input: NewServer): z.output<typeof newServerSchema> {
  const parsed = newServerSchema.safeParse(input);
  if (!parsed.success)
    throw invalid(`The server was not added: ${parsed.error.issues.map((i) => i.message).join('; ')}.`);
  return parsed.data;
}

/** Ids people can type: the host in lower case with dashes ("203-0-113-5", "deploy-example-com"). */
export function serverIdFor(host: string): string {
  return host
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 63);
}

const PRIVATE_KEY_BLOCK = /^-----BEGIN [A-Z ]*PRIVATE KEY-----[\s\S]+-----END [A-Z ]*PRIVATE KEY-----$/;

export function validateSshKey(key: string): string {
  const trimmed = key.trim();
  if (!PRIVATE_KEY_BLOCK.test(trimmed)) {
    throw invalid(
      'The server was not added: the secret is not an SSH private key (-----BEGIN ... PRIVATE KEY-----).',
    );
  }
  // OpenSSH refuses a key file without its final newline.
  return `${trimmed}\n`;
}
