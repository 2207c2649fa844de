import { Composer } from 'grammy';
import type { AccessControl } from '../../domain/access/access-control.ts';
import type { UserDirectory } from '../../domain/access/user-directory.ts';
import type { BotContext } from '../context.ts';
import { MESSAGES } from '../messages.ts';

/** /adduser, /removeuser, /users: admins decide who may use the bot. */
export function userAdmin(
  directory: UserDirectory,
  access: AccessControl,
  now: () => Date = () => new Date(),
) {
  const feature = new Composer<BotContext>();
  const adminsOnly = feature.filter((ctx) => ctx.principal.role === 'admin');
  feature.command(['adduser', 'removeuser', 'users'], async (ctx, next) => {
    if (ctx.principal.role !== 'admin') return ctx.reply(MESSAGES.adminsOnly);
    return next();
  });

  adminsOnly.command('adduser', async (ctx) => {
    const [rawId, ...nameParts] = ctx.match.trim().split(/\s+/);
    const userId = parseUserId(rawId);
    if (userId === undefined) return ctx.reply(MESSAGES.addUserUsage);
    if (access.isConfiguredAdmin(userId)) return ctx.reply(MESSAGES.userAlreadyAdmin(userId));
    const displayName = nameParts.join(' ').slice(0, 64);
    await directory.admit({
      userId,
      admittedBy: ctx.principal.userId,
      admittedAt: now().toISOString(),
      ...(displayName ? { displayName } : {}),
    });
    return ctx.reply(MESSAGES.userAdded(userId));
  });

  adminsOnly.command('removeuser', async (ctx) => {
    const userId = parseUserId(ctx.match.trim());
    if (userId === undefined) return ctx.reply(MESSAGES.removeUserUsage);
    if (access.isConfiguredAdmin(userId)) return ctx.reply(MESSAGES.cannotRemoveAdmin(userId));
    const removed = await directory.remove(userId);
    return ctx.reply(removed ? MESSAGES.userRemoved(userId) : MESSAGES.userNotFound(userId));
  });

  adminsOnly.command('users', async (ctx) => {
    const users = await directory.list();
    const lines = users.map(
      (u) => `${u.userId}${u.displayName ? ` (${u.displayName})` : ''}, added by ${u.admittedBy}`,
    );
    return ctx.reply(
      lines.length > 0 ? `Users:\n${lines.join('\n')}` : 'No users yet: add one with /adduser.',
    );
  });

  return feature;
}

function parseUserId(raw: string | undefined): number | undefined {
  if (!raw || !/^\d{1,15}$/.test(raw)) return undefined;
  const id = Number(raw);
  return id > 0 ? id : undefined;
}
