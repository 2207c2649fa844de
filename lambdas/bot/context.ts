import type { Context, SessionFlavor } from 'grammy';
import type { Principal } from '../domain/access/access-policy.ts';
import type { ChatSession } from '../domain/sessions/chat-session.ts';

/** The context every consumer feature sees: who is talking and what we remember of the chat. */
export type BotContext = Context & SessionFlavor<ChatSession> & { principal: Principal };
