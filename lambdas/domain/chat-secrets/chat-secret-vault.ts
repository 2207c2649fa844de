import { randomBytes } from 'node:crypto';
import { SecretNotFoundError, type SecretStore } from '../../ports/secrets.ts';
import type { Principal } from '../access/access-policy.ts';
import { notFound } from '../errors.ts';
import { projectSecretName } from '../projects/project.ts';

/**
 * Secrets a person sends in chat. The value goes straight to the secrets port; the transcript,
 * logs and pipeline payloads only ever carry a reference such as `secret:ab12cd34`.
 */
export class ChatSecretVault {
  /** @param prefix namespaces the names in a shared secrets store, e.g. `codegen/`. */
  constructor(
    private readonly secrets: SecretStore,
    private readonly prefix = '',
  ) {}

  /** Keeps a value the person sent before we know which project it is for. */
  async stash(userId: number, value: string): Promise<string> {
    const ref = randomBytes(6).toString('hex');
    await this.secrets.put(this.prefix + stashName(userId, ref), value);
    return ref;
  }

  /** Moves a stashed value to a project's secret; only its sender can claim it. */
  async moveToProject(principal: Principal, ref: string, projectId: string, key: string): Promise<void> {
    await this.claim(principal, ref, (value) => this.storeForProject(projectId, key, value));
  }

  /**
   * Hands a stashed value to `use`, which stores it where it belongs (a server's SSH key, a pool
   * bot's token), and forgets the stash once `use` succeeded; only its sender can claim it. The
   * value goes no further than `use`: tool results and the transcript keep the ref only.
   */
  async claim<T>(principal: Principal, ref: string, use: (value: string) => Promise<T>): Promise<T> {
    if (!/^[0-9a-f]{12}$/.test(ref)) throw notFound(`Secret reference "${ref}"`);
    let value: string;
    try {
      value = await this.secrets.get(this.prefix + stashName(principal.userId, ref));
    } catch {
      throw notFound(`Secret reference "${ref}"`);
    }
    const result = await use(value);
    await this.secrets.delete(this.prefix + stashName(principal.userId, ref));
    return result;
  }

  async storeForProject(projectId: string, key: string, value: string): Promise<void> {
    await this.secrets.put(this.prefix + projectSecretName(projectId, key), value);
  }

  async deleteForProject(projectId: string, key: string): Promise<void> {
    await this.secrets.delete(this.prefix + projectSecretName(projectId, key)).catch((error: unknown) => {
      if (!(error instanceof SecretNotFoundError)) throw error;
    });
  }
}

const stashName = (userId: number, ref: string) => `chat-secrets/${userId}/${ref}`;
