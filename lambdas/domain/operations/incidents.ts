import { createHash } from 'node:crypto';
import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';

/**
 * A deployed service that went down, from the first failed health check until it is healthy
 * again: what recovery has tried so far. One per project, in the projects table.
 * - `redeploying`: the last good release is being deployed again;
 * - `fix_offered`: that did not bring it back; the owner has buttons to start a fix run;
 * - `fixing`: the owner said yes; an engineering run (then a deploy) is under way;
 * - `declined`: the owner said no; nothing more is tried until it recovers or is deployed again;
 * - `fix_failed`: the fix run ended without bringing it back (not built, not live, or live and still
 *   failing); the owner was told once, and nothing more is tried on its own.
 */
export interface Incident {
  projectId: string;
  ownerId: number;
  chatId: number;
  stage: 'redeploying' | 'fix_offered' | 'fixing' | 'declined' | 'fix_failed';
  /** What the health check saw, short; the fix run's request quotes it. */
  evidence: string;
  openedAt: string;
  redeployRun?: string;
  /** Short id behind the fix buttons (Telegram callback data is at most 64 bytes). */
  offerId?: string;
  /** The redeploy's failed release's log tail (a document, secrets redacted): the fix run quotes it. */
  logRef?: string;
  /** The engineering run the owner started to fix it. */
  fixRun?: string;
  version: number;
}

const key = (projectId: string) => ({ pk: `PROJECT#${projectId}`, sk: 'INCIDENT' });
const offerKey = (offerId: string) => ({ pk: `FIX_OFFER#${offerId}`, sk: 'OPEN' });

export class Incidents {
  constructor(private readonly store: KeyValueStore) {}

  async get(projectId: string): Promise<Incident | undefined> {
    const item = await this.store.get('projects', key(projectId));
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, ...incident } = item;
    return incident as unknown as Incident;
  }

  /** Opens the project's incident; undefined when one is already open (another check won). */
  async open(incident: Omit<Incident, 'version'>): Promise<Incident | undefined> {
    const stored = { ...incident, version: 0 };
    try {
      await this.store.put('projects', { ...key(incident.projectId), ...stored }, { ifAbsent: true });
      return stored;
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
  }

  /** Moves the incident on, if nobody else moved it since it was read. */
  async update(incident: Incident, change: Partial<Incident>): Promise<Incident | undefined> {
    const next = { ...incident, ...change, version: incident.version + 1 };
    try {
      await this.store.put(
        'projects',
        { ...key(incident.projectId), ...next },
        { ifVersion: incident.version },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
    if (change.offerId)
      await this.store.put('sessions', { ...offerKey(change.offerId), projectId: incident.projectId });
    return next;
  }

  async close(projectId: string): Promise<void> {
    const incident = await this.get(projectId);
    if (incident?.offerId) await this.store.delete('sessions', offerKey(incident.offerId));
    await this.store.delete('projects', key(projectId));
  }

  /** The project a fix offer's buttons belong to. */
  async projectOfOffer(offerId: string): Promise<string | undefined> {
    if (!/^[0-9a-f]{16}$/.test(offerId)) return undefined;
    const item = await this.store.get('sessions', offerKey(offerId));
    return typeof item?.projectId === 'string' ? item.projectId : undefined;
  }
}

/** A fix offer's id: derived from the incident, so a repeated offer step names the same buttons. */
export function offerIdFor(incident: Pick<Incident, 'projectId' | 'openedAt'>): string {
  return createHash('sha256').update(`${incident.projectId}|${incident.openedAt}`).digest('hex').slice(0, 16);
}
