/** What the bot remembers about one private chat between messages. */
export interface ChatSession {
  messageCount: number;
  firstSeenAt: string;
  lastSeenAt: string;
}

export function newChatSession(now: Date): ChatSession {
  const iso = now.toISOString();
  return { messageCount: 0, firstSeenAt: iso, lastSeenAt: iso };
}

export function recordMessage(session: ChatSession, now: Date): ChatSession {
  return { ...session, messageCount: session.messageCount + 1, lastSeenAt: now.toISOString() };
}
