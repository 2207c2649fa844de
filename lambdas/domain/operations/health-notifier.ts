import type { QueueProducer } from '../../ports/queue.ts';
import { type PipelineEvent, pipelineEventBody, pipelineEventDedupId } from '../pipelines/pipeline-event.ts';
import type { HealthHook, HealthMonitor, HealthTransition } from './health-monitor.ts';

/**
 * Tells a service's owner that it went down or came back: a devops pipeline event (`unhealthy`,
 * `recovered`) into the owner's chat group of the updates queue, where the Product Owner tells
 * them, as it tells every deploy event. Numbered by the transition, so each is told once.
 */
export function healthEventFor(kind: 'unhealthy' | 'recovered', t: HealthTransition): PipelineEvent {
  return {
    kind,
    pipeline: 'devops',
    runName: t.deploy.runName,
    projectId: t.project.id,
    ownerId: t.project.ownerId,
    chatId: t.deploy.chatId,
    url: t.health.url,
    attempts: t.health.consecutiveFailures,
    sequence: t.health.transitions,
    ...(kind === 'unhealthy' && t.health.lastError ? { error: t.health.lastError } : {}),
  };
}

export function tellOwner(queue: QueueProducer, kind: 'unhealthy' | 'recovered'): HealthHook {
  return async (transition) => {
    const event = healthEventFor(kind, transition);
    await queue.send({
      groupId: String(event.chatId),
      deduplicationId: pipelineEventDedupId(event),
      body: pipelineEventBody(event),
    });
  };
}

/** Hooks the owner's notifications onto a monitor. */
export function notifyOwners(monitor: HealthMonitor, queue: QueueProducer): HealthMonitor {
  return monitor.onUnhealthy(tellOwner(queue, 'unhealthy')).onRecovered(tellOwner(queue, 'recovered'));
}
