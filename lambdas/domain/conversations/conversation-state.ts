/**
 * Where one chat's conversation with the Product Owner stands. PROCESSING carries a lease: its
 * holder works on the chat until `leaseExpiresAt`, extending it as it goes; a crashed holder's
 * lease simply runs out, so nobody is stranded. AWAITING means the agent asked the person
 * something (a confirmation or a secret value) and waits for the answer.
 */
export type ConversationPhase = 'IDLE' | 'PROCESSING' | 'AWAITING';

export interface PendingConfirmation {
  /** Random nonce carried in the buttons' callback data. */
  nonce: string;
  /** The only user whose press counts. */
  userId: number;
  toolUseId: string;
  toolName: string;
  prompt: string;
  messageId?: number;
  expiresAt: number;
}

export interface AwaitedSecret {
  projectId: string;
  key: string;
  expiresAt: number;
}

export interface ConversationState {
  chatId: number;
  phase: ConversationPhase;
  threadId: string;
  leaseOwner?: string;
  leaseExpiresAt?: number;
  confirmation?: PendingConfirmation;
  awaitedSecret?: AwaitedSecret;
  /** Optimistic concurrency: every write expects the version it read. */
  version: number;
}

export function initialConversation(chatId: number): ConversationState {
  return { chatId, phase: 'IDLE', threadId: `chat-${chatId}-1`, version: 0 };
}
