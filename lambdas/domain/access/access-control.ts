import { type Principal, resolveRole } from './access-policy.ts';
import type { UserDirectory } from './user-directory.ts';

/** Resolves a Telegram user to a principal; admins from config need no store read. */
export class AccessControl {
  constructor(
    private readonly adminIds: ReadonlySet<number>,
    private readonly directory: UserDirectory,
  ) {}

  async principalOf(userId: number | undefined): Promise<Principal | null> {
    if (userId === undefined) return null;
    if (this.adminIds.has(userId)) return { userId, role: 'admin' };
    if (resolveRole(userId, this.adminIds, true) === null) return null;
    const admitted = (await this.directory.find(userId)) !== undefined;
    const role = resolveRole(userId, this.adminIds, admitted);
    return role ? { userId, role } : null;
  }

  isConfiguredAdmin(userId: number): boolean {
    return this.adminIds.has(userId);
  }
}
