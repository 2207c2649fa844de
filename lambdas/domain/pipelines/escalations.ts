import { createHash } from 'node:crypto';
import { ConditionFailedError, type KeyValueStore } from '../../ports/key-value-store.ts';

export interface Escalation {
  id: string;
  runName: string;
  projectId: string;
  ownerId: number;
  attempt: number;
  expiresAt: number;
}

/**
 * A run waiting for its owner's decision. The task token stays here, behind a short id that fits
 * Telegram's 64-byte callback data; it is consumed once, by its owner, with a conditional write.
 */
export class Escalations {
  constructor(
    private readonly store: KeyValueStore,
    private readonly now: () => number = () => Math.floor(Date.now() / 1000),
  ) {}

  async open(
    input: Omit<Escalation, 'id' | 'expiresAt'> & { taskToken: string; ttlSeconds: number },
  ): Promise<Escalation> {
    // Derived from the token: the step may be invoked again for the same wait (at least once, as
    // Lambda integrations are), and must then find the same escalation, not open a second one.
    const id = createHash('sha256').update(input.taskToken).digest('hex').slice(0, 16);
    const escalation: Escalation = {
      id,
      runName: input.runName,
      projectId: input.projectId,
      ownerId: input.ownerId,
      attempt: input.attempt,
      expiresAt: this.now() + input.ttlSeconds,
    };
    try {
      await this.store.put(
        'sessions',
        { pk: `ESCALATION#${id}`, sk: 'OPEN', ...escalation, taskToken: input.taskToken, version: 0 },
        { ifAbsent: true },
      );
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      return (await this.get(id)) ?? escalation;
    }
    return escalation;
  }

  /** The open escalation of a run, if any (for approve_escalation by project). */
  async get(id: string): Promise<Escalation | undefined> {
    const item = await this.store.get('sessions', { pk: `ESCALATION#${id}`, sk: 'OPEN' });
    if (!item) return undefined;
    const { pk: _pk, sk: _sk, taskToken: _token, version: _v, answered: _a, ...rest } = item;
    return rest as unknown as Escalation;
  }

  /**
   * Takes the token out, once: the first answer wins; a second press, or a press after it
   * expired, gets undefined.
   */
  async consume(id: string): Promise<{ escalation: Escalation; taskToken: string } | undefined> {
    const item = await this.store.get('sessions', { pk: `ESCALATION#${id}`, sk: 'OPEN' });
    if (!item || item.answered) return undefined;
    try {
      await this.store.put(
        'sessions',
        { ...item, answered: true, taskToken: '', version: Number(item.version ?? 0) + 1 },
        { ifVersion: Number(item.version ?? 0) },
      );
    } catch (error) {
      if (error instanceof ConditionFailedError) return undefined;
      throw error;
    }
    const { pk: _pk, sk: _sk, taskToken, answered: _a, version: _v, ...rest } = item;
    return { escalation: rest as unknown as Escalation, taskToken: String(taskToken) };
  }
}
