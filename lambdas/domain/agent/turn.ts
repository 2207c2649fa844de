import type { Principal } from '../access/access-policy.ts';
import type { ConversationState } from '../conversations/conversation-state.ts';
import type { AgentState } from './agent-state.ts';

/** A turn in progress: the lease, the latest checkpoint, and who is talking. */
export interface Turn {
  principal: Principal;
  conversation: ConversationState;
  seq: number;
  state: AgentState;
}

/** The worker ran short of time between two steps; the turn resumes from its checkpoint. */
export class TurnPausedError extends Error {
  constructor() {
    super('Turn paused: the worker is about to run out of time');
    this.name = 'TurnPausedError';
  }
}
