import { ConditionFailedError, type Item, type KeyValueStore } from '../../ports/key-value-store.ts';
import { SecretNotFoundError, type SecretStore } from '../../ports/secrets.ts';
import { TELEGRAM_TOKEN_FORMAT } from '../chat-secrets/secret-detector.ts';
import { DomainError, invalid, notFound } from '../errors.ts';
import { BotPoolEmptyError } from './resource-errors.ts';
import { BOT_POOL_PK, poolBotKey, queryAll } from './resource-keys.ts';

/** A pool bot as anyone may see it: never its token. */
export interface PoolBot {
  /** The bot's Telegram user id (the digits before the token's colon): public, stable per bot. */
  id: string;
  username: string;
  addedAt: string;
  /** The project that holds it, if any. */
  projectId?: string;
}

/** What a project is given: the name of the secret holding the token, never the token. */
export interface PoolBotGrant {
  id: string;
  username: string;
  secretName: string;
}

/**
 * Telegram bots admins set aside for projects that need one and bring none. Tokens live only in
 * the secrets port (`<tokenPrefix><id>/token`); the store keeps who holds which bot. A bot goes
 * to one project at a time: the holder is set with a versioned conditional write on the bot's item.
 */
export class BotPool {
  private readonly now: () => Date;

  constructor(
    private readonly store: KeyValueStore,
    private readonly secrets: SecretStore,
    private readonly options: { tokenPrefix: string; now?: () => Date },
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Adds a bot (or a new token of a bot already in the pool, keeping its holder). The caller has
   * asked Telegram (getMe, verifyBotToken) whose token it is: `username` is its answer.
   */
  async add(token: string, username: string): Promise<PoolBot> {
    const trimmed = token.trim();
    if (!TELEGRAM_TOKEN_FORMAT.test(trimmed)) {
      throw invalid('The bot was not added: it is not a Telegram bot token (<digits>:<35 characters>).');
    }
    if (!/^[A-Za-z][A-Za-z0-9_]{3,31}$/.test(username)) throw invalid(`"${username}" is not a bot username.`);
    const id = trimmed.slice(0, trimmed.indexOf(':'));
    await this.secrets.put(this.secretName(id), trimmed);
    for (let attempt = 1; ; attempt++) {
      const existing = await this.store.get('projects', poolBotKey(id));
      const version = Number(existing?.version ?? 0);
      const bot: PoolBot = existing
        ? { ...toPoolBot(existing), username }
        : { id, username, addedAt: this.now().toISOString() };
      try {
        // Conditional, so a re-add never undoes an allocation made meanwhile.
        await this.store.put(
          'projects',
          { ...poolBotKey(id), ...bot, version: existing ? version + 1 : 0 },
          existing ? { ifVersion: version } : { ifAbsent: true },
        );
        return bot;
      } catch (error) {
        if (!(error instanceof ConditionFailedError) || attempt >= 5) throw error;
      }
    }
  }

  async list(): Promise<PoolBot[]> {
    const items = await queryAll(this.store, BOT_POOL_PK, 'BOT#');
    return items
      .map(toPoolBot)
      .sort((a, b) => a.addedAt.localeCompare(b.addedAt) || a.id.localeCompare(b.id));
  }

  /** Whether `allocate` would give the project a bot now: it holds one, or one is free. */
  async canProvide(projectId: string): Promise<boolean> {
    const items = await queryAll(this.store, BOT_POOL_PK, 'BOT#');
    return items.some((i) => i.projectId === projectId || i.projectId === undefined);
  }

  /** The project's bot, taking a free one if it has none. @throws BotPoolEmptyError */
  async allocate(projectId: string): Promise<PoolBotGrant> {
    const items = await queryAll(this.store, BOT_POOL_PK, 'BOT#');
    const held = items.find((i) => i.projectId === projectId);
    if (held) return this.grant(toPoolBot(held));
    for (const item of items.filter((i) => i.projectId === undefined)) {
      const version = Number(item.version ?? 0);
      try {
        await this.store.put(
          'projects',
          { ...item, projectId, version: version + 1 },
          { ifVersion: version },
        );
        return this.grant(toPoolBot(item));
      } catch (error) {
        // Another project took this one a moment ago: try the next.
        if (!(error instanceof ConditionFailedError)) throw error;
      }
    }
    throw new BotPoolEmptyError();
  }

  /** Frees the bots the project holds (one, normally). */
  async release(projectId: string): Promise<void> {
    const items = await queryAll(this.store, BOT_POOL_PK, 'BOT#');
    for (const item of items.filter((i) => i.projectId === projectId)) {
      const { projectId: _held, ...free } = item;
      const version = Number(item.version ?? 0);
      await this.store.put('projects', { ...free, version: version + 1 }, { ifVersion: version });
    }
  }

  /** Forgets a bot and its token; refused while a project holds it. */
  async remove(id: string): Promise<PoolBot> {
    const item = await this.store.get('projects', poolBotKey(id));
    if (!item) throw notFound(`Pool bot "${id}"`);
    const bot = toPoolBot(item);
    if (bot.projectId) {
      throw new DomainError(`Pool bot @${bot.username} is in use by project ${bot.projectId}.`, 'conflict');
    }
    await this.store.delete('projects', poolBotKey(id));
    await this.secrets.delete(this.secretName(id)).catch((error: unknown) => {
      if (!(error instanceof SecretNotFoundError)) throw error;
    });
    return bot;
  }

  secretName(id: string): string {
    return `${this.options.tokenPrefix}${id}/token`;
  }

  private grant(bot: PoolBot): PoolBotGrant {
    return { id: bot.id, username: bot.username, secretName: this.secretName(bot.id) };
  }
}

function toPoolBot(item: Item): PoolBot {
  return {
    id: String(item.id),
    username: String(item.username),
    addedAt: String(item.addedAt),
    ...(typeof item.projectId === 'string' ? { projectId: item.projectId } : {}),
  };
}
