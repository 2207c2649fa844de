import { ConditionFailedError, type Item, type KeyValueStore } from '../../ports/key-value-store.ts';
import { SecretNotFoundError, type SecretStore } from '../../ports/secrets.ts';
import { DomainError, invalid, notFound } from '../errors.ts';
import { portClaimsOn } from './port-allocator.ts';
import { queryAll, SERVERS_PK, serverKey } from './resource-keys.ts';
import {
  LOCAL_SERVER_ID,
  type NewServer,
  type Server,
  serverIdFor,
  validateNewServer,
  validateSshKey,
} from './server.ts';

export interface ServerInventoryOptions {
  /** Prefix of the SSH key secrets' names, e.g. `orchestrator/servers/`. */
  keyPrefix: string;
  now?: () => Date;
}

/**
 * The servers projects deploy to. The record (host, user, ports) is in the store; the SSH private
 * key only in the secrets port, under `<keyPrefix><id>/ssh-key`, so no listing, log line or tool
 * result can carry it.
 */
export class ServerInventory {
  private readonly now: () => Date;

  constructor(
    private readonly store: KeyValueStore,
    private readonly secrets: SecretStore,
    private readonly options: ServerInventoryOptions,
  ) {
    this.now = options.now ?? (() => new Date());
  }

  /**
   * Registers an SSH server. `requestKey` makes a repeated call (a replayed tool call) return the
   * server it added instead of reporting a duplicate.
   */
  async add(input: NewServer & { sshKey: string }, requestKey?: string): Promise<Server> {
    const valid = validateNewServer(input);
    const sshKey = validateSshKey(input.sshKey);
    const id = serverIdFor(valid.host);
    if (id === LOCAL_SERVER_ID) throw invalid('The server was not added: "local" names the local machine.');
    const server: Server = { id, kind: 'ssh', ...valid, addedAt: this.now().toISOString() };
    try {
      // The record first: a crash before the key is written leaves a record a replay completes;
      // the other way round, a duplicate add would overwrite a working server's key.
      await this.store.put(
        'projects',
        { ...serverKey(id), ...server, ...(requestKey ? { requestKey } : {}) },
        { ifAbsent: true },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      const stored = await this.store.get('projects', serverKey(id));
      if (!requestKey || stored?.requestKey !== requestKey) {
        throw new DomainError(`Server ${id} (${valid.host}) is already registered.`, 'conflict');
      }
    }
    await this.secrets.put(this.keyName(id), sshKey);
    return (await this.get(id)) ?? server;
  }

  /** Registers the machine the local stack runs on; safe to call at every start. */
  async ensureLocal(baseDir: string, portRange = { from: 20000, to: 20999 }): Promise<Server> {
    const existing = await this.get(LOCAL_SERVER_ID);
    const server: Server = {
      id: LOCAL_SERVER_ID,
      host: '127.0.0.1',
      sshUser: 'local',
      sshPort: 22,
      kind: 'local',
      baseDir,
      portRange,
      addedAt: existing?.addedAt ?? this.now().toISOString(),
    };
    await this.store.put('projects', { ...serverKey(LOCAL_SERVER_ID), ...server });
    return server;
  }

  /** Whether the request with this key added the server (a replayed tool call asks). */
  async addedBy(id: string, requestKey: string): Promise<boolean> {
    return (await this.store.get('projects', serverKey(id)))?.requestKey === requestKey;
  }

  async list(): Promise<Server[]> {
    const items = await queryAll(this.store, SERVERS_PK, 'SERVER#');
    return items.map(toServer).sort((a, b) => a.addedAt.localeCompare(b.addedAt) || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<Server | undefined> {
    const item = await this.store.get('projects', serverKey(id));
    return item ? toServer(item) : undefined;
  }

  /** Forgets a server and its key; refused while any project holds a port on it. */
  async remove(id: string): Promise<Server> {
    const server = await this.get(id);
    if (!server) throw notFound(`Server "${id}"`);
    const holders = await this.projectsOn(id);
    if (holders.length > 0) {
      throw new DomainError(
        `Server ${id} still hosts ${holders.length} project(s) (${holders.join(', ')}): delete them or move them first.`,
        'conflict',
      );
    }
    await this.store.delete('projects', serverKey(id));
    if (server.kind === 'ssh') await this.secrets.delete(this.keyName(id)).catch(ignoreMissing);
    return server;
  }

  /** The projects holding a port on the server. */
  async projectsOn(id: string): Promise<string[]> {
    return [...new Set((await portClaimsOn(this.store, id)).map((c) => c.projectId))];
  }

  /** The server's SSH private key, for the deploy step only; never log or return it. */
  async sshKey(server: Pick<Server, 'id' | 'kind'>): Promise<string> {
    if (server.kind === 'local') throw invalid('The local server is reached without SSH.');
    try {
      return await this.secrets.get(this.keyName(server.id));
    } catch (error) {
      if (!(error instanceof SecretNotFoundError)) throw error;
      throw invalid(`Server ${server.id} has no SSH key stored: remove it and add it again with its key.`);
    }
  }

  private keyName(id: string): string {
    return `${this.options.keyPrefix}${id}/ssh-key`;
  }
}

function ignoreMissing(error: unknown): void {
  if (!(error instanceof SecretNotFoundError)) throw error;
}

function toServer(item: Item): Server {
  const range = item.portRange as { from?: unknown; to?: unknown } | undefined;
  return {
    id: String(item.id),
    host: String(item.host),
    sshUser: String(item.sshUser),
    sshPort: Number(item.sshPort),
    kind: item.kind === 'local' ? 'local' : 'ssh',
    baseDir: String(item.baseDir),
    portRange: { from: Number(range?.from), to: Number(range?.to) },
    addedAt: String(item.addedAt),
  };
}
