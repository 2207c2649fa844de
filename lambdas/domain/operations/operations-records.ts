import type { CheckState } from '../../ports/git-host.ts';
import type { KeyValueStore } from '../../ports/key-value-store.ts';

/** What the repository-sync job last saw of a project's repository. */
export interface RepositoryState {
  fullName: string;
  defaultBranch?: string;
  head?: { commit: string; message: string; committedAt?: string };
  pullRequests: Array<{ number: number; title: string; htmlUrl: string; head: string; checks: CheckState }>;
  syncedAt: string;
}

/** What the health-check job last saw of a deployed project. */
export interface HealthState {
  url: string;
  /** The deploy run whose URL is probed. */
  runName: string;
  state: 'healthy' | 'unhealthy';
  consecutiveFailures: number;
  lastStatus?: number;
  lastError?: string;
  checkedAt: string;
  changedAt: string;
  /** How many times the state changed: numbers the owner's notifications. */
  transitions: number;
}

/** The keys of the jobs' records, in the project's partition (deleted with the project). */
export const repositoryStateKey = (projectId: string) => ({
  pk: `PROJECT#${projectId}`,
  sk: 'OPS#REPOSITORY',
});
export const healthStateKey = (projectId: string) => ({ pk: `PROJECT#${projectId}`, sk: 'OPS#HEALTH' });

/** The operations facts of a project as get_project reports them. */
export interface OperationsFacts {
  repository?: RepositoryState;
  health?: HealthState;
}

/** Reads what the jobs recorded about a project (the jobs write it through FencedRecords). */
export class OperationsRecords {
  constructor(private readonly store: KeyValueStore) {}

  async of(projectId: string): Promise<OperationsFacts> {
    const [repository, health] = await Promise.all([
      this.store.get('projects', repositoryStateKey(projectId)),
      this.store.get('projects', healthStateKey(projectId)),
    ]);
    return {
      ...(repository ? { repository: strip<RepositoryState>(repository) } : {}),
      ...(health ? { health: strip<HealthState>(health) } : {}),
    };
  }
}

function strip<T>(item: Record<string, unknown>): T {
  const { pk: _pk, sk: _sk, fence: _fence, version: _version, ...rest } = item;
  return rest as T;
}
