import type { ChatChannel } from '../../ports/chat.ts';
import type { Principal } from '../access/access-policy.ts';
import type { DevopsService } from '../deploys/devops-service.ts';
import type { PipelineDocuments } from '../pipelines/documents.ts';
import type { EngineeringService } from '../pipelines/engineering-service.ts';
import type { Project } from '../projects/project.ts';
import { type Incident, type Incidents, offerIdFor } from './incidents.ts';

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

const HOW_IT_CAME_BACK: Record<Incident['stage'], string> = {
  redeploying: 'its last good release was deployed again and answers its health check.',
  fixing: "the fix run's release is deployed and answers its health check.",
  fix_offered: 'it answers its health check again.',
  declined: 'it answers its health check again.',
  fix_failed: 'it answers its health check again.',
};

export type FixDecision = 'accepted' | 'declined' | 'stale' | 'not_yours';

/**
 * Recovery by itself, driven by the health checks: a service that goes down gets its last good
 * release deployed again through the devops pipeline (which checks it and tells the owner); if it
 * is still down once that redeploy has ended, the owner is offered a fix run with buttons. The
 * fix run is an engineering run on a branch with the failure as its request (the health check's
 * answer and the failed release's log tail, secrets redacted by the deployer), deployed when green.
 * If the fix run ends without bringing the service back, the owner is told once and nothing more
 * is tried on its own. Each check moves the incident at most one step, so overlapping checks
 * cannot act twice.
 */
export class ServiceRecovery {
  constructor(
    private readonly deps: {
      devops: DevopsService;
      engineering: EngineeringService;
      incidents: Incidents;
      documents: PipelineDocuments;
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
        `${project.name} is healthy again: ${HOW_IT_CAME_BACK[incident.stage]}`,
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
    if (incident.stage === 'fixing') return this.followFix(project, chatId, incident, verdict);
    if (incident.stage !== 'redeploying') return incident.stage === 'fix_offered' ? 'fix_offered' : 'gave_up';
    const latest = await devops.latestRecord(project.id);
    const redeployEnded = latest?.runName === incident.redeployRun && latest?.outcome !== undefined;
    if (!redeployEnded) return 'waiting';
    const offerId = offerIdFor(incident);
    const offered = await incidents.update(incident, {
      stage: 'fix_offered',
      offerId,
      evidence: verdict.detail.slice(0, 300),
      ...(latest?.logRef ? { logRef: latest.logRef } : {}),
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
    if (incident?.stage !== 'fix_offered' || incident.offerId !== offerId) return 'stale';
    if (incident.ownerId !== principal.userId) return 'not_yours';
    const taken = await incidents.update(incident, { stage: yes ? 'fixing' : 'declined' });
    if (!taken) return 'stale';
    if (!yes) return 'declined';
    const project = await projects.get(incident.projectId);
    if (!project) return 'stale';
    const run = await this.deps.engineering.start(project, incident.chatId, await this.fixRequest(taken), {
      deployAfter: true,
    });
    await incidents.update(taken, { fixRun: run.runName });
    return 'accepted';
  }

  /** The fix run's request: what the health check saw and what the service logged as it failed. */
  private async fixRequest(incident: Incident): Promise<string> {
    const log = incident.logRef
      ? await this.deps.documents.get(incident.projectId, incident.logRef).catch(() => undefined)
      : undefined;
    return [
      `The deployed service fails its health check: ${incident.evidence}.`,
      'Its last good release was deployed again and fails the same way.',
      log
        ? `The tail of the service's log as it failed (secret values are replaced by ***):\n\n\`\`\`\n${log.trim()}\n\`\`\``
        : 'No log of the service could be read.',
      'Find the cause and fix it; keep every test passing.',
    ].join('\n\n');
  }

  /**
   * Still down while a fix run is under way: wait for it (and the deploy it starts) to end; if it
   * ended without bringing the service back, tell the owner once and stop trying.
   */
  private async followFix(
    project: Project,
    chatId: number,
    incident: Incident,
    verdict: HealthVerdict,
  ): Promise<RecoveryStep> {
    if (!incident.fixRun) return 'waiting';
    const end = await this.deps.engineering.endOf(project.id, incident.fixRun);
    if (end === 'running') return 'waiting';
    let outcome = `its engineering run ${incident.fixRun} ended without a tested build`;
    if (end === 'built') {
      // The redeploy was the last deploy before the fix run: a later one is the fix's (started
      // before the run ended, so none means it did not start).
      const deploy = await this.deps.devops.latestRecord(project.id);
      const after = deploy && deploy.runName !== incident.redeployRun ? deploy : undefined;
      if (after && after.outcome === undefined) return 'waiting';
      outcome = !after
        ? 'its release was built but its deploy did not start'
        : after.outcome === 'succeeded'
          ? `its release was deployed and fails its health check too (${verdict.detail})`
          : `its deploy ${after.runName} did not go live`;
    }
    const ended = await this.deps.incidents.update(incident, { stage: 'fix_failed' });
    if (!ended) return 'waiting';
    await this.deps.chat.send(
      chatId,
      `${project.name} is still down: the fix run did not bring it back (${outcome}). Nothing more is ` +
        `tried on its own; tell me what to change, or say "deploy ${project.name}" once it is fixed.`,
    );
    return 'gave_up';
  }
}
