import { createHash, randomBytes } from 'node:crypto';
import { JsonStateFile } from './json-state-file.ts';

export type Level = 'read' | 'write';
export type PermissionName =
  | 'contents'
  | 'pull_requests'
  | 'metadata'
  | 'administration'
  | 'statuses'
  | 'checks';
export type Permissions = Partial<Record<PermissionName, Level>>;

/** What a token may do, as an installation token of a GitHub App: some or all repositories. */
export interface TokenGrant {
  repositories: string[] | 'all';
  permissions: Permissions;
  /** Epoch ms. */
  expiresAt: number;
}

type TokenCheck = { status: 'valid'; grant: TokenGrant } | { status: 'expired' | 'unknown' };

const TOKEN_TTL_MS = 60 * 60 * 1000;

/**
 * Installation-style tokens of the local git server. Only the SHA-256 of a token is stored (in a
 * 0o600 file, so a restart keeps tokens valid), with its repositories, permissions and expiry; the
 * token itself is returned once, to whoever minted it.
 */
export class GitTokenFile {
  private readonly store: JsonStateFile<Record<string, TokenGrant>>;

  constructor(
    file: string,
    private readonly now: () => number,
  ) {
    this.store = new JsonStateFile(file, () => ({}));
  }

  async mint(grant: Omit<TokenGrant, 'expiresAt'>): Promise<{ token: string; expiresAt: number }> {
    // The `ghs_` prefix is GitHub's for installation tokens; secret scanners know it.
    const token = `ghs_${randomBytes(30).toString('base64url')}`;
    const expiresAt = this.now() + TOKEN_TTL_MS;
    await this.store.update((tokens) => {
      for (const [hash, stored] of Object.entries(tokens)) {
        if (stored.expiresAt <= this.now() - TOKEN_TTL_MS) delete tokens[hash];
      }
      tokens[hashOf(token)] = { ...grant, expiresAt };
    });
    return { token, expiresAt };
  }

  check(token: string): TokenCheck {
    const grant = this.store.read()[hashOf(token)];
    if (!grant) return { status: 'unknown' };
    if (grant.expiresAt <= this.now()) return { status: 'expired' };
    return { status: 'valid', grant };
  }
}

/** Whether `grant` reaches `repository` (undefined = any one) with at least `level` of `permission`. */
export function allows(grant: TokenGrant, permission: PermissionName, level: Level, repository?: string) {
  const reaches =
    grant.repositories === 'all' || (repository !== undefined && grant.repositories.includes(repository));
  const held = grant.permissions[permission];
  return reaches && held !== undefined && (level === 'read' || held === 'write');
}

function hashOf(token: string): string {
  return createHash('sha256').update(token).digest('hex');
}
