import type { Logger } from '../../shared/logger.ts';
import type { HttpProbe } from '../deploys/steps/smoke-test.ts';
import type { RunRecord, RunRecords } from '../pipelines/run-records.ts';
import type { Project } from '../projects/project.ts';
import type { ProjectRepository } from '../projects/project-repository.ts';
import type { FencedRecords } from './fenced-records.ts';
import { type HealthState, healthStateKey } from './operations-records.ts';

/** A deployed service changed state: what hooks receive. */
export interface HealthTransition {
  project: Project;
  /** The deploy whose release serves (its run, chat and URL). */
  deploy: RunRecord;
  health: HealthState;
}

export type HealthHook = (transition: HealthTransition) => Promise<void>;

export interface HealthCheckSummary {
  checked: Array<{ projectId: string; state: HealthState['state']; consecutiveFailures: number }>;
  /** Hooks that threw; the run fails after checking everything, so it is retried and alarmed. */
  hookFailures: string[];
}

/** Consecutive failed probes after which a service counts as down. */
export const UNHEALTHY_AFTER = 2;
const PROBE_TIMEOUT_MS = 5000;

/**
 * The health-check job's work: probes `<url>/health` of every deployed project (the URL of its
 * last successful deploy), records the result and the consecutive failures on the project under
 * the job's fence, and raises domain events when a service turns unhealthy (UNHEALTHY_AFTER
 * failures in a row) and when it recovers. Hooks run after the record is written, so a holder
 * that lost its lease (StaleFenceError) tells nobody. Telling the owner is one hook; redeploying
 * on its own is meant to be another.
 */
export class HealthMonitor {
  private readonly unhealthy: HealthHook[] = [];
  private readonly recovered: HealthHook[] = [];
  private readonly checked: HealthHook[] = [];

  constructor(
    private readonly deps: {
      projects: ProjectRepository;
      deploys: RunRecords;
      probe: HttpProbe;
      records: FencedRecords;
      logger?: Logger;
      now?: () => Date;
      unhealthyAfter?: number;
    },
  ) {}

  onUnhealthy(hook: HealthHook): this {
    this.unhealthy.push(hook);
    return this;
  }

  /** After every check of a service, whatever it showed (self-recovery moves its incident on). */
  onChecked(hook: HealthHook): this {
    this.checked.push(hook);
    return this;
  }

  onRecovered(hook: HealthHook): this {
    this.recovered.push(hook);
    return this;
  }

  async checkAll(fence: number): Promise<HealthCheckSummary> {
    const summary: HealthCheckSummary = { checked: [], hookFailures: [] };
    const deployed = (await this.deps.projects.listAll()).filter((p) => p.status === 'deployed');
    for (const project of deployed) {
      const deploy = (await this.deps.deploys.list(project.id))
        .filter((d) => d.outcome === 'succeeded' && d.url)
        .at(-1);
      if (!deploy?.url) continue;
      const { health, changed } = await this.checkOne(project, deploy, fence);
      summary.checked.push({
        projectId: project.id,
        state: health.state,
        consecutiveFailures: health.consecutiveFailures,
      });
      const hooks = [
        ...(changed ? (health.state === 'unhealthy' ? this.unhealthy : this.recovered) : []),
        ...this.checked,
      ];
      for (const hook of hooks) {
        await hook({ project, deploy, health }).catch((error: unknown) => {
          this.deps.logger?.error('health hook failed', { projectId: project.id, error: String(error) });
          summary.hookFailures.push(project.id);
        });
      }
    }
    return summary;
  }

  private async checkOne(
    project: Project,
    deploy: RunRecord,
    fence: number,
  ): Promise<{ health: HealthState; changed: boolean }> {
    const url = deploy.url as string;
    const at = (this.deps.now?.() ?? new Date()).toISOString();
    const probe = await this.probe(url);
    const key = healthStateKey(project.id);
    const stored = await this.deps.records.get(key);
    // A new release (another deploy run) starts a fresh record.
    const before =
      stored && stored.runName === deploy.runName ? (stored as unknown as HealthState) : undefined;
    const failures = probe.ok ? 0 : (before?.consecutiveFailures ?? 0) + 1;
    const wasState = before?.state ?? 'healthy';
    const state: HealthState['state'] = probe.ok
      ? 'healthy'
      : failures >= (this.deps.unhealthyAfter ?? UNHEALTHY_AFTER)
        ? 'unhealthy'
        : wasState;
    const changed = state !== wasState;
    const health: HealthState = {
      url,
      runName: deploy.runName,
      state,
      consecutiveFailures: failures,
      ...(probe.status !== undefined ? { lastStatus: probe.status } : {}),
      ...(probe.error ? { lastError: probe.error } : {}),
      checkedAt: at,
      changedAt: changed ? at : (before?.changedAt ?? at),
      // Numbered across releases, so a later release's first outage is told too.
      transitions: (Number(stored?.transitions ?? 0) || 0) + (changed ? 1 : 0),
    };
    await this.deps.records.put(key, fence, { ...health });
    return { health, changed };
  }

  private async probe(base: string): Promise<{ ok: boolean; status?: number; error?: string }> {
    const url = new URL('/health', base);
    try {
      const answer = await this.deps.probe.get(url.href, PROBE_TIMEOUT_MS);
      return answer.status === 200
        ? { ok: true, status: answer.status }
        : { ok: false, status: answer.status, error: `answered ${answer.status}` };
    } catch (error) {
      return {
        ok: false,
        error: `no answer (${error instanceof Error ? error.message : 'error'})`.slice(0, 200),
      };
    }
  }
}
