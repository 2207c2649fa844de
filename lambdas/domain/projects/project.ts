import { createHash } from 'node:crypto';
import { invalid } from '../errors.ts';

export type ProjectStatus = 'draft' | 'engineering' | 'ready' | 'deploying' | 'deployed' | 'failed';

export interface Project {
  id: string;
  ownerId: number;
  name: string;
  description: string;
  status: ProjectStatus;
  /** Names (never values) of the project's secrets in the secrets port. */
  secretKeys: string[];
  /** The repository the engineering pipeline made for it. */
  repository?: { fullName: string; htmlUrl: string };
  createdAt: string;
  updatedAt: string;
}

const NAME = /^[a-z0-9][a-z0-9-]{1,38}[a-z0-9]$/;
export const SECRET_KEY = /^[A-Z][A-Z0-9_]{0,63}$/;

/** A repository-friendly name: lower case, digits and dashes, 3-40 characters. */
export function normaliseProjectName(raw: string): string {
  const name = raw
    .toLowerCase()
    .normalize('NFKD')
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 40)
    .replace(/-+$/g, '');
  if (!NAME.test(name)) throw invalid(`"${raw}" does not make a project name (3-40 letters, digits, dashes)`);
  return name;
}

export function validateDescription(raw: string): string {
  const description = raw.trim();
  if (description.length < 3) throw invalid('The project needs a description of what to build.');
  if (description.length > 4000) throw invalid('The description is longer than 4000 characters.');
  return description;
}

export function validateSecretKey(raw: string): string {
  const key = raw.trim().toUpperCase();
  if (!SECRET_KEY.test(key))
    throw invalid(`"${raw}" is not a secret name (A-Z, 0-9, _; starts with a letter)`);
  return key;
}

/**
 * Project ids are derived from the idempotency key of the call that creates the project, so a
 * repeated call (a retried tool call after a crash) names the same project instead of a twin.
 */
export function projectIdFor(name: string, idempotencyKey: string): string {
  const suffix = createHash('sha256').update(idempotencyKey).digest('hex').slice(0, 6);
  return `${name}-${suffix}`;
}

export function projectSecretName(projectId: string, key: string): string {
  return `projects/${projectId}/${key}`;
}
