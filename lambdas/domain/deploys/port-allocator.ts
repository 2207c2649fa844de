import { createHash } from 'node:crypto';
import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';
import { DomainError } from '../errors.ts';
import { portClaimKey, portClaimsPk, projectResourceKey, queryAll } from './resource-keys.ts';

export interface PortClaim {
  serverId: string;
  port: number;
  projectId: string;
}

export interface PortRange {
  from: number;
  to: number;
}

/** The claims on one server, by port. */
export async function portClaimsOn(store: KeyValueStore, serverId: string): Promise<PortClaim[]> {
  const items = await queryAll(store, portClaimsPk(serverId), 'PORT#');
  return items.map((i) => ({ serverId, port: Number(i.port), projectId: String(i.projectId) }));
}

/**
 * Ports on servers, one project per port. A port is claimed with a conditional write on an item of
 * its own (dynalite has no transactions), and the claim names its project: that claim is the
 * truth, and the record under the project only a shortcut. A crash between the two therefore
 * leaks nothing: the project's next allocate finds its claim and records it. Whether the OS has
 * the port in use is not our business: free means unclaimed.
 */
export class PortAllocator {
  constructor(private readonly store: KeyValueStore) {}

  /** The project's port on the server, claiming one if it has none; undefined when all are taken. */
  async allocate(serverId: string, projectId: string, range: PortRange): Promise<number | undefined> {
    const recorded = await this.of(projectId);
    if (recorded) {
      if (recorded.serverId === serverId) return recorded.port;
      throw new DomainError(
        `Project ${projectId} already holds port ${recorded.port} on ${recorded.serverId}.`,
        'conflict',
      );
    }
    const claims = await portClaimsOn(this.store, serverId);
    const mine = claims.find((c) => c.projectId === projectId);
    if (mine) return this.record(mine);
    const taken = new Set(claims.map((c) => c.port));
    const size = range.to - range.from + 1;
    // Each project starts at its own place in the range, so deploys running at once rarely race
    // for the same port; a lost race just moves on to the next.
    const start = startingOffset(projectId, size);
    for (let i = 0; i < size; i++) {
      const port = range.from + ((start + i) % size);
      if (taken.has(port)) continue;
      if (await this.claim(serverId, port, projectId))
        return this.record(await this.settle(serverId, projectId, port));
    }
    return undefined;
  }

  /**
   * The first half of allocate: claims the port for the project, true if this call got it.
   * Public so tests can stop where a crash would.
   */
  async claim(serverId: string, port: number, projectId: string): Promise<boolean> {
    try {
      await this.store.put(
        'projects',
        { ...portClaimKey(serverId, port), serverId, port, projectId },
        { ifAbsent: true },
      );
      return true;
    } catch (error) {
      if (error instanceof ConditionFailedError) return false;
      throw error;
    }
  }

  async of(projectId: string): Promise<PortClaim | undefined> {
    const item = await this.store.get('projects', projectResourceKey(projectId, 'PORT'));
    return item ? { serverId: String(item.serverId), port: Number(item.port), projectId } : undefined;
  }

  /**
   * Gives the project's port back: the recorded one, and any claim of the project on the servers
   * named (a claim whose record a crash never wrote).
   */
  async release(projectId: string, serverIds: readonly string[] = []): Promise<void> {
    const recorded = await this.of(projectId);
    const servers = new Set([...(recorded ? [recorded.serverId] : []), ...serverIds]);
    for (const serverId of servers) {
      for (const claim of await portClaimsOn(this.store, serverId)) {
        if (claim.projectId === projectId)
          await this.store.delete('projects', portClaimKey(serverId, claim.port));
      }
    }
    await this.store.delete('projects', projectResourceKey(projectId, 'PORT'));
  }

  /**
   * Two allocations of one project racing on one server may both win a port: both then keep the
   * lowest and give the others back, so the project ends up with one.
   */
  private async settle(serverId: string, projectId: string, port: number): Promise<PortClaim> {
    const mine = (await portClaimsOn(this.store, serverId)).filter((c) => c.projectId === projectId);
    const kept = mine.reduce((low, c) => (c.port < low.port ? c : low), { serverId, port, projectId });
    for (const extra of mine.filter((c) => c.port !== kept.port)) {
      await this.store.delete('projects', portClaimKey(serverId, extra.port));
    }
    return kept;
  }

  private async record(claim: PortClaim): Promise<number> {
    await this.store.put('projects', { ...projectResourceKey(claim.projectId, 'PORT'), ...claim });
    return claim.port;
  }
}

function startingOffset(projectId: string, size: number): number {
  return createHash('sha256').update(projectId).digest().readUInt32BE(0) % size;
}
