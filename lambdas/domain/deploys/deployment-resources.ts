import type { KeyValueStore } from '../../ports/key-value-store.ts';
import type { BotPool, PoolBotGrant } from './bot-pool.ts';
import { type PortAllocator, portClaimsOn } from './port-allocator.ts';
import { NoServerAvailableError } from './resource-errors.ts';
import { projectResourceKey } from './resource-keys.ts';
import type { Server } from './server.ts';
import type { ServerInventory } from './server-inventory.ts';

/** Where a project runs and with which pool bot: what a deploy needs to know. */
export interface Allocation {
  projectId: string;
  serverId: string;
  host: string;
  port: number;
  kind: Server['kind'];
  baseDir: string;
  bot?: PoolBotGrant;
}

export interface ResourceNeeds {
  /** The project is a Telegram bot. */
  needsBotToken: boolean;
  /** The owner set TELEGRAM_BOT_TOKEN: the project brings its own bot. */
  hasOwnBotToken: boolean;
}

export interface DeploymentResourcesDeps {
  store: KeyValueStore;
  inventory: ServerInventory;
  ports: PortAllocator;
  pool: BotPool;
}

/**
 * A project's deployment resources as one: a port on the least busy server with room, and a pool
 * bot when it needs one and has none of its own. Repeating allocate returns what the project
 * holds; a failure halfway gives back what that call took.
 */
export class DeploymentResources {
  constructor(private readonly deps: DeploymentResourcesDeps) {}

  /** @throws NoServerAvailableError, BotPoolEmptyError */
  async allocate(project: { id: string }, needs: ResourceNeeds): Promise<Allocation> {
    const needsPoolBot = needs.needsBotToken && !needs.hasOwnBotToken;
    const existing = await this.of(project.id);
    if (existing && Boolean(existing.bot) === needsPoolBot) return existing;
    const servers = await this.deps.inventory.list();
    const hadPort = (await this.deps.ports.of(project.id)) !== undefined;
    const { server, port } = await this.placePort(project.id, servers);
    let bot: PoolBotGrant | undefined;
    if (needsPoolBot) {
      try {
        bot = await this.deps.pool.allocate(project.id);
      } catch (error) {
        if (!hadPort)
          await this.deps.ports.release(
            project.id,
            servers.map((s) => s.id),
          );
        throw error;
      }
    } else {
      // The owner has brought their own bot since: the pool's goes back for someone else.
      await this.deps.pool.release(project.id);
    }
    const allocation: Allocation = {
      projectId: project.id,
      serverId: server.id,
      host: server.host,
      port,
      kind: server.kind,
      baseDir: server.baseDir,
      ...(bot ? { bot } : {}),
    };
    await this.deps.store.put('projects', { ...projectResourceKey(project.id, 'ALLOCATION'), ...allocation });
    return allocation;
  }

  /** Whether the pool can give the project a bot token (so the deploy need not ask the person). */
  canProvideBot(projectId: string): Promise<boolean> {
    return this.deps.pool.canProvide(projectId);
  }

  async of(projectId: string): Promise<Allocation | undefined> {
    const item = await this.deps.store.get('projects', projectResourceKey(projectId, 'ALLOCATION'));
    if (!item) return undefined;
    const bot = item.bot as PoolBotGrant | undefined;
    return {
      projectId,
      serverId: String(item.serverId),
      host: String(item.host),
      port: Number(item.port),
      kind: item.kind === 'local' ? 'local' : 'ssh',
      baseDir: String(item.baseDir),
      ...(bot ? { bot: { id: bot.id, username: bot.username, secretName: bot.secretName } } : {}),
    };
  }

  /** Gives back everything the project holds, recorded or not (a crash may have left a claim). */
  async releaseAll(projectId: string): Promise<void> {
    const servers = await this.deps.inventory.list();
    await this.deps.ports.release(
      projectId,
      servers.map((s) => s.id),
    );
    await this.deps.pool.release(projectId);
    await this.deps.store.delete('projects', projectResourceKey(projectId, 'ALLOCATION'));
  }

  /** The port the project holds, or one on the server with the fewest projects that has room. */
  private async placePort(projectId: string, servers: Server[]): Promise<{ server: Server; port: number }> {
    const load = await Promise.all(
      servers.map(async (server) => ({ server, claims: await portClaimsOn(this.deps.store, server.id) })),
    );
    const held = (await this.deps.ports.of(projectId))?.serverId;
    const claimed = load.find((l) => l.claims.some((c) => c.projectId === projectId))?.server.id;
    const home = held ?? claimed;
    const candidates = load
      .filter((l) => l.server.id === home || (!home && l.claims.length < rangeSize(l.server)))
      .sort((a, b) => a.claims.length - b.claims.length || a.server.id.localeCompare(b.server.id));
    for (const { server } of candidates) {
      const port = await this.deps.ports.allocate(server.id, projectId, server.portRange);
      if (port !== undefined) return { server, port };
    }
    throw new NoServerAvailableError();
  }
}

const rangeSize = (server: Server) => server.portRange.to - server.portRange.from + 1;
