import type { UserFromGetMe } from 'grammy/types';

/**
 * The bot's own identity, preset so a cold start never calls getMe. The numeric id is the
 * token's prefix; the username comes from configuration.
 */
export function botInfoFrom(token: string, username: string): UserFromGetMe {
  const id = Number(token.split(':', 1)[0]);
  if (!Number.isSafeInteger(id) || id <= 0) throw new Error('Bot token has no numeric bot id prefix');
  return {
    id,
    is_bot: true,
    first_name: username,
    username,
    can_join_groups: false,
    can_read_all_group_messages: false,
    supports_inline_queries: false,
    can_connect_to_business: false,
    has_main_web_app: false,
  } as UserFromGetMe;
}
