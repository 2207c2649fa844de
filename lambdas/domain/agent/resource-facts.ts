import type { PoolBot } from '../deploys/bot-pool.ts';
import type { Allocation } from '../deploys/deployment-resources.ts';
import type { Server } from '../deploys/server.ts';

/**
 * Deployment resources as tool results report them. Built field by field from the domain types,
 * so nothing secret (an SSH key, a bot token, even a secret's name) can ride along.
 */
export interface ServerFacts {
  id: string;
  host: string;
  sshUser: string;
  sshPort: number;
  kind: 'ssh' | 'local';
  baseDir: string;
  portRange: { from: number; to: number };
  /** Projects holding a port on it. */
  projects: number;
}

export interface PoolBotFacts {
  id: string;
  username: string;
  projectId?: string;
}

/** Where one project runs: shown to its owner (and admins) only. */
export interface AllocationFacts {
  serverId: string;
  host: string;
  port: number;
  botUsername?: string;
}

export function serverFacts(server: Server, projects: number): ServerFacts {
  return {
    id: server.id,
    host: server.host,
    sshUser: server.sshUser,
    sshPort: server.sshPort,
    kind: server.kind,
    baseDir: server.baseDir,
    portRange: { from: server.portRange.from, to: server.portRange.to },
    projects,
  };
}

export function poolBotFacts(bot: PoolBot): PoolBotFacts {
  return { id: bot.id, username: bot.username, ...(bot.projectId ? { projectId: bot.projectId } : {}) };
}

export function allocationFacts(allocation: Allocation): AllocationFacts {
  return {
    serverId: allocation.serverId,
    host: allocation.host,
    port: allocation.port,
    ...(allocation.bot ? { botUsername: allocation.bot.username } : {}),
  };
}

export function describeServer(s: ServerFacts): string {
  const where = s.kind === 'local' ? 'this machine' : `${s.sshUser}@${s.host}:${s.sshPort}`;
  return `${s.id}: ${where}, apps in ${s.baseDir}, ports ${s.portRange.from}-${s.portRange.to}, ${s.projects} project(s)`;
}

export function describePoolBot(b: PoolBotFacts): string {
  return `@${b.username} (id ${b.id}): ${b.projectId ? `used by ${b.projectId}` : 'free'}`;
}

export function describeAllocation(a: AllocationFacts): string {
  return `runs on ${a.host} (server ${a.serverId}) port ${a.port}${a.botUsername ? `, bot @${a.botUsername}` : ''}`;
}
