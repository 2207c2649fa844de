import type { Item, ItemKey, KeyValueStore } from '../../ports/key-value-store.ts';

/**
 * Where deployment resources live in the `projects` table. Servers, port claims and pool bots
 * have partitions of their own (SERVERS, PORTS#, BOTPOOL), apart from the PROJECT#, OWNER# and
 * ALL partitions of projects; what a project holds is recorded in its own PROJECT# partition
 * under RESOURCE# sort keys, so deleting the project's partition forgets it too.
 */
export const SERVERS_PK = 'SERVERS';
export const BOT_POOL_PK = 'BOTPOOL';

export const serverKey = (serverId: string): ItemKey => ({ pk: SERVERS_PK, sk: `SERVER#${serverId}` });

export const portClaimsPk = (serverId: string): string => `PORTS#${serverId}`;

// Zero-padded so claims sort by port number.
export const portClaimKey = (serverId: string, port: number): ItemKey => ({
  pk: portClaimsPk(serverId),
  sk: `PORT#${String(port).padStart(5, '0')}`,
});

export const poolBotKey = (botId: string): ItemKey => ({ pk: BOT_POOL_PK, sk: `BOT#${botId}` });

export const projectResourceKey = (projectId: string, what: 'PORT' | 'ALLOCATION'): ItemKey => ({
  pk: `PROJECT#${projectId}`,
  sk: `RESOURCE#${what}`,
});

/** Every live item of a partition (with a sort-key prefix), all pages. */
export async function queryAll(store: KeyValueStore, pk: string, skBeginsWith: string): Promise<Item[]> {
  const items: Item[] = [];
  let cursor: string | undefined;
  do {
    const page = await store.query('projects', pk, { skBeginsWith, ...(cursor ? { cursor } : {}) });
    items.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return items;
}
