/**
 * Who may talk to the bot, decided fail-closed: admins come from configuration, users are
 * admitted by an admin, everyone else is a stranger. An empty admin list admits nobody.
 */
export type Role = 'admin' | 'user';

export interface Principal {
  userId: number;
  role: Role;
}

export function resolveRole(userId: number, adminIds: ReadonlySet<number>, admitted: boolean): Role | null {
  if (!Number.isSafeInteger(userId) || userId <= 0) return null;
  if (adminIds.has(userId)) return 'admin';
  return admitted ? 'user' : null;
}

/**
 * The bot serves private chats only. Projects, secrets and usage are personal, and a group would
 * show them to every member; so in groups, supergroups and channels the bot stays silent for
 * everyone (no refusal either, which would spam the group) and nothing is stored or queued.
 */
export function servesChat(chatType: string | undefined): boolean {
  return chatType === 'private';
}
