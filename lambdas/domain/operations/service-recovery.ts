import type { ChatChannel } from '../../ports/chat.ts';
import type { Principal } from '../access/access-policy.ts';
import type { DevopsService } from '../deploys/devops-service.ts';
import type { EngineeringService } from '../pipelines/engineering-service.ts';
import type { Project } from '../projects/project.ts';
import { type Incidents, offerIdFor } from './incidents.ts';

/** What one health check of a deployed service saw. */
export interface HealthVerdict {
  healthy: boolean;
  /** e.g. "http://127.0.0.1:20218/health answered 500", short and safe to show. */
  detail: string;
}

export type RecoveryStep =
  | 'healthy'
  | 'recovered'
  | 'redeploying'
  | 'waiting'
  | 'fix_offered'
  | 'no_release'
  | 'gave_up';

export type FixDecision = 'accepted' | 'declined' | 'stale' | 'not_yours';

/**
 * Recovery by itself, driven by the health checks: a service that goes down gets its last good
 * release deployed again through the devops pipeline (which checks it and tells the owner); if it
 * is still down once that redeploy has ended, the owner is offered a fix run with buttons. The
 * fix run is an engineering run on a branch with the failure as its request, deployed when green.
 * Each check moves the incident at most one step, so overlapping checks cannot act twice.
 */
export class ServiceRecovery {
  constructor(
    private readonly deps: {
      devops: DevopsService;
      engineering: EngineeringService;
      incidents: Incidents;
      chat: ChatChannel;
      now?: () => Date;
    },
  ) {}

  async afterCheck(project: Project, chatId: number, verdict: HealthVerdict): Promise<RecoveryStep> {
    const { incidents, devops } = this.deps;
    const incident = await incidents.get(project.id);
    if (verdict.healthy) {
      if (!incident) return 'healthy';
      // A redeploy or a fix may still be running: it brought the service back, so let it finish.
      await incidents.close(project.id);
      await this.deps.chat.send(
        chatId,
        incident.stage === 'fixing'
          ? `${project.name} is healthy again: the fix run's release answers its health check.`
          : `${project.name} is healthy again: its last good release was deployed again and answers its health check.`,
      );
      return 'recovered';
    }
    if (!incident) {
      const release = await devops.lastGoodRelease(project.id);
      if (!release) return 'no_release';
      const opened = await incidents.open({
        projectId: project.id,
        ownerId: project.ownerId,
        chatId,
        stage: 'redeploying',
        evidence: verdict.detail.slice(0, 300),
        openedAt: (this.deps.now?.() ?? new Date()).toISOString(),
      });
      if (!opened) return 'waiting';
      const run = await devops.start(project, chatId, { commit: release, purpose: 'recovery' });
      await incidents.update(opened, { redeployRun: run.runName });
      return 'redeploying';
    }
    if (incident.stage !== 'redeploying') return incident.stage === 'fix_offered' ? 'fix_offered' : 'gave_up';
    const latest = await devops.latestRecord(project.id);
    const redeployEnded = latest?.runName === incident.redeployRun && latest?.outcome !== undefined;
    if (!redeployEnded) return 'waiting';
    const offerId = offerIdFor(incident);
    const offered = await incidents.update(incident, {
      stage: 'fix_offered',
      offerId,
      evidence: verdict.detail.slice(0, 300),
    });
    if (!offered) return 'waiting';
    await this.deps.chat.send(
      chatId,
      `${project.name} is still down after its last good release was deployed again (${verdict.detail}). ` +
        'Shall I start a fix run? The engineering pipeline gets the failure, fixes it on a branch, the tester ' +
        'checks it, and it is deployed and checked.',
      [
        [
          { text: 'Start a fix run', data: `fix:${offerId}:y` },
          { text: 'Leave it', data: `fix:${offerId}:n` },
        ],
      ],
    );
    return 'fix_offered';
  }

  /** The owner's answer to a fix offer (its buttons). */
  async decide(
    principal: Principal,
    offerId: string,
    yes: boolean,
    projects: { get(id: string): Promise<Project | undefined> },
  ): Promise<FixDecision> {
    const { incidents } = this.deps;
    const projectId = await incidents.projectOfOffer(offerId);
    const incident = projectId ? await incidents.get(projectId) : undefined;
    if (!incident || incident.stage !== 'fix_offered' || incident.offerId !== offerId) return 'stale';
    if (incident.ownerId !== principal.userId) return 'not_yours';
    const taken = await incidents.update(incident, { stage: yes ? 'fixing' : 'declined' });
    if (!taken) return 'stale';
    if (!yes) return 'declined';
    const project = await projects.get(incident.projectId);
    if (!project) return 'stale';
    await this.deps.engineering.start(
      project,
      incident.chatId,
      `The deployed service fails its health check: ${incident.evidence}. Its last good release was ` +
        'deployed again and still fails. Find the cause and fix it; keep every test passing.',
      { deployAfter: true },
    );
    return 'accepted';
  }
}
