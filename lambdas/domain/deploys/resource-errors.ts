import { DomainError } from '../errors.ts';

/**
 * Nothing free to deploy on. Domain errors, so a tool reports them to the person as they are
 * (a conflict they or an admin can resolve), not as an outage to retry.
 */
export class NoServerAvailableError extends DomainError {
  constructor() {
    super(
      'No server has a free port: an administrator needs to add a server or widen a port range.',
      'conflict',
    );
    this.name = 'NoServerAvailableError';
  }
}

export class BotPoolEmptyError extends DomainError {
  constructor() {
    super(
      'The project needs a Telegram bot and the bot pool has no free one: set TELEGRAM_BOT_TOKEN for the project, or ask an administrator to add a pool bot.',
      'conflict',
    );
    this.name = 'BotPoolEmptyError';
  }
}
