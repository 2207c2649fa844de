import { ConditionFailedError, type Item, type KeyValueStore } from '../../ports/key-value-store.ts';
import type { Principal } from '../access/access-policy.ts';
import { DomainError, forbidden, invalid, notFound } from '../errors.ts';
import { API_KEY_ID, apiKeyIdOf, apiKeyMatches, mintApiKey } from './api-key.ts';

/** An API key as anyone may see it: never its hash, never its secret. */
export interface ApiKeyInfo {
  id: string;
  /** The person the key acts as, with their rights. */
  ownerId: number;
  name: string;
  createdAt: string;
  createdBy: number;
  rotatedAt?: string;
  revokedAt?: string;
}

/** A key just made or rotated: `secret` is shown once and kept nowhere. */
export interface IssuedKey {
  key: ApiKeyInfo;
  secret: string;
}

export type Authentication =
  | { kind: 'valid'; principal: Principal; key: ApiKeyInfo }
  /** No such key, a malformed one, or a secret that does not match: 401. */
  | { kind: 'unknown' }
  /** Revoked, or its owner is no longer admitted: 403. */
  | { kind: 'revoked'; key: ApiKeyInfo }
  | { kind: 'owner_gone'; key: ApiKeyInfo };

/** Who a user id is now: an admin from configuration, an admitted user, or nobody (AccessControl). */
export interface PrincipalLookup {
  principalOf(userId: number | undefined): Promise<Principal | null>;
}

// One partition holds every key: admins list them with one Query, and a deployment has a few
// keys per person, far below a partition's limits.
const PARTITION = 'APIKEYS';
const keyOf = (id: string) => ({ pk: PARTITION, sk: `KEY#${id}` });

/**
 * API keys of the admin API, in the `users` table. Only the SHA-256 of a key is stored; a key acts
 * as its owner, with the owner's rights as they are at each request (an owner removed from the bot
 * loses their keys too). Admins create, rotate and revoke keys; everyone may list their own.
 */
export class ApiKeys {
  constructor(
    private readonly store: KeyValueStore,
    private readonly people: PrincipalLookup,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async create(principal: Principal, input: { ownerId: number; name: string }): Promise<IssuedKey> {
    requireAdmin(principal);
    const name = validateName(input.name);
    if (!(await this.people.principalOf(input.ownerId))) {
      throw invalid(`User ${input.ownerId} is not admitted: admit them before giving them a key.`);
    }
    for (let attempt = 1; ; attempt++) {
      const minted = mintApiKey();
      const key: ApiKeyInfo = {
        id: minted.id,
        ownerId: input.ownerId,
        name,
        createdAt: this.now().toISOString(),
        createdBy: principal.userId,
      };
      try {
        await this.store.put(
          'users',
          { ...keyOf(minted.id), ...key, hash: minted.hash, version: 0 },
          { ifAbsent: true },
        );
        return { key, secret: minted.secret };
      } catch (error) {
        // A 40-bit id collided: draw another.
        if (!(error instanceof ConditionFailedError) || attempt >= 3) throw error;
      }
    }
  }

  /** Admins: every key (or one owner's); users: their own. */
  async list(principal: Principal, ownerId?: number): Promise<ApiKeyInfo[]> {
    const wanted = principal.role === 'admin' ? ownerId : principal.userId;
    const keys: ApiKeyInfo[] = [];
    let cursor: string | undefined;
    do {
      const page = await this.store.query('users', PARTITION, {
        skBeginsWith: 'KEY#',
        ...(cursor ? { cursor } : {}),
      });
      keys.push(...page.items.map(toInfo));
      cursor = page.cursor;
    } while (cursor);
    return keys
      .filter((k) => wanted === undefined || k.ownerId === wanted)
      .sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  /** A new secret for the key: the old one stops working at once. */
  async rotate(principal: Principal, id: string): Promise<IssuedKey> {
    requireAdmin(principal);
    const item = await this.item(id);
    const key = toInfo(item);
    if (key.revokedAt) throw new DomainError(`API key ${id} is revoked; create a new one.`, 'conflict');
    const minted = mintApiKey(key.id);
    const rotated: ApiKeyInfo = { ...key, rotatedAt: this.now().toISOString() };
    await this.replace(item, { ...rotated, hash: minted.hash });
    return { key: rotated, secret: minted.secret };
  }

  async revoke(principal: Principal, id: string): Promise<ApiKeyInfo> {
    requireAdmin(principal);
    const item = await this.item(id);
    const key = toInfo(item);
    if (key.revokedAt) return key;
    const revoked: ApiKeyInfo = { ...key, revokedAt: this.now().toISOString() };
    await this.replace(item, { ...revoked, hash: String(item.hash) });
    return revoked;
  }

  /** Who a presented key acts as, checked against its hash, its revocation and its owner now. */
  async authenticate(secret: string): Promise<Authentication> {
    const id = apiKeyIdOf(secret);
    if (!id) return { kind: 'unknown' };
    const item = await this.store.get('users', keyOf(id));
    if (!item || typeof item.hash !== 'string' || !apiKeyMatches(secret, item.hash))
      return { kind: 'unknown' };
    const key = toInfo(item);
    if (key.revokedAt) return { kind: 'revoked', key };
    const principal = await this.people.principalOf(key.ownerId);
    if (!principal) return { kind: 'owner_gone', key };
    return { kind: 'valid', principal, key };
  }

  private async item(id: string): Promise<Item> {
    const item = API_KEY_ID.test(id) ? await this.store.get('users', keyOf(id)) : undefined;
    if (!item) throw notFound(`API key "${id}"`);
    return item;
  }

  /** Versioned, so a rotate and a revoke racing on one key cannot undo each other. */
  private async replace(previous: Item, next: ApiKeyInfo & { hash: string }): Promise<void> {
    const version = Number(previous.version ?? 0);
    try {
      await this.store.put(
        'users',
        { ...keyOf(next.id), ...next, version: version + 1 },
        { ifVersion: version },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      throw new DomainError(`API key ${next.id} changed meanwhile; try again.`, 'conflict');
    }
  }
}

function requireAdmin(principal: Principal): void {
  if (principal.role !== 'admin') throw forbidden('Only an administrator can manage API keys.');
}

function validateName(raw: string): string {
  const name = raw.trim();
  if (!/^[\w .@:()/-]{1,60}$/.test(name))
    throw invalid('A key name is 1-60 letters, digits, spaces and ._@:()/-');
  return name;
}

function toInfo(item: Item): ApiKeyInfo {
  return {
    id: String(item.id),
    ownerId: Number(item.ownerId),
    name: String(item.name),
    createdAt: String(item.createdAt),
    createdBy: Number(item.createdBy),
    ...(typeof item.rotatedAt === 'string' ? { rotatedAt: item.rotatedAt } : {}),
    ...(typeof item.revokedAt === 'string' ? { revokedAt: item.revokedAt } : {}),
  };
}
