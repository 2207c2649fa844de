import type { TableName } from '../ports/key-value-store.ts';

/**
 * The one list of tables, read by the CDK stack (to create them and grant access) and by the
 * local stack (to create them in dynalite). Every table keys on string `pk` + `sk` and expires
 * items through the `expiresAt` attribute (epoch seconds).
 */
export interface TableSpec {
  name: TableName;
  /** Environment variable that carries the physical table name to the Lambdas. */
  envVar: string;
  purpose: string;
}

export const TABLES: readonly TableSpec[] = [
  { name: 'users', envVar: 'USERS_TABLE', purpose: 'admitted users and their roles' },
  { name: 'sessions', envVar: 'SESSIONS_TABLE', purpose: 'per-chat sessions and lease locks' },
  { name: 'dedup', envVar: 'DEDUP_TABLE', purpose: 'seen Telegram update ids (25 h)' },
  { name: 'projects', envVar: 'PROJECTS_TABLE', purpose: 'projects and their owners' },
  { name: 'checkpoints', envVar: 'CHECKPOINTS_TABLE', purpose: 'agent conversation checkpoints' },
  { name: 'usage', envVar: 'USAGE_TABLE', purpose: 'model token usage and cost' },
] as const;

export const KEY_ATTRIBUTES = { partition: 'pk', sort: 'sk', ttl: 'expiresAt' } as const;

export function tableSpec(name: TableName): TableSpec {
  const spec = TABLES.find((t) => t.name === name);
  if (!spec) throw new Error(`Unknown table ${name}`);
  return spec;
}
