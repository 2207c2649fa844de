import { randomBytes } from 'node:crypto';
import { SecretNotFoundError, type SecretStore } from '../../ports/secrets.ts';
import { projectSecretName } from '../projects/project.ts';

/**
 * A project's secrets in the secrets port (`<prefix>projects/<id>/<KEY>`), as the deploy sees
 * them: which exist, generating the ones only our side uses, and reading them all for the .env.
 * Values leave this class only towards the deployer's context, never into a payload or a log.
 */
export class ProjectSecrets {
  constructor(
    private readonly secrets: SecretStore,
    private readonly prefix = '',
  ) {}

  async has(projectId: string, key: string): Promise<boolean> {
    return (await this.read(projectId, key)) !== undefined;
  }

  async read(projectId: string, key: string): Promise<string | undefined> {
    try {
      return await this.secrets.get(this.name(projectId, key));
    } catch (error) {
      if (error instanceof SecretNotFoundError) return undefined;
      throw error;
    }
  }

  /** 32 random bytes, URL-safe: for session keys and passwords nobody types. Keeps an existing one. */
  async generate(projectId: string, key: string): Promise<boolean> {
    if (await this.has(projectId, key)) return false;
    await this.secrets.put(this.name(projectId, key), randomBytes(32).toString('base64url'));
    return true;
  }

  async delete(projectId: string, key: string): Promise<void> {
    await this.secrets.delete(this.name(projectId, key)).catch((error: unknown) => {
      if (!(error instanceof SecretNotFoundError)) throw error;
    });
  }

  private name(projectId: string, key: string): string {
    return this.prefix + projectSecretName(projectId, key);
  }
}
