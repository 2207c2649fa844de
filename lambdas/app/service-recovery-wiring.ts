import { DevopsService } from '../domain/deploys/devops-service.ts';
import { SecretRequests } from '../domain/deploys/secret-requests.ts';
import { Incidents } from '../domain/operations/incidents.ts';
import { ServiceRecovery } from '../domain/operations/service-recovery.ts';
import { PipelineDocuments } from '../domain/pipelines/documents.ts';
import { EngineeringService } from '../domain/pipelines/engineering-service.ts';
import { Escalations } from '../domain/pipelines/escalations.ts';
import { RunRecords } from '../domain/pipelines/run-records.ts';
import type { ChatChannel } from '../ports/chat.ts';
import type { KeyValueStore } from '../ports/key-value-store.ts';
import type { Pipelines } from '../ports/pipelines.ts';

/**
 * Self-recovery on a store, the pipelines and the chat: the health-check job drives it (a redeploy,
 * then a fix offer with buttons), the consumer answers the buttons. Built the same way in both.
 */
export function buildServiceRecovery(deps: {
  store: KeyValueStore;
  pipelines: Pipelines;
  chat: ChatChannel;
}): ServiceRecovery {
  const { store, pipelines, chat } = deps;
  const builds = new RunRecords(store, 'engineering');
  const documents = new PipelineDocuments(store);
  return new ServiceRecovery({
    devops: new DevopsService({
      pipelines,
      deploys: new RunRecords(store, 'devops'),
      builds,
      requests: new SecretRequests(store),
    }),
    engineering: new EngineeringService({
      pipelines,
      runs: builds,
      documents,
      escalations: new Escalations(store),
    }),
    incidents: new Incidents(store),
    documents,
    chat,
  });
}
