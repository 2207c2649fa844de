import {
  CreateSecretCommand,
  DeleteSecretCommand,
  GetSecretValueCommand,
  PutSecretValueCommand,
  RestoreSecretCommand,
  SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { SecretNotFoundError, type SecretStore } from '../../ports/secrets.ts';

export interface SecretsManagerStoreOptions {
  client?: SecretsManagerClient;
  /** Customer managed KMS key for secrets this store creates; AWS's default key otherwise. */
  kmsKeyId?: string;
  /** Tags for secrets this store creates (ownership, cost allocation, IAM conditions). */
  tags?: Record<string, string>;
}

/** Secrets pending deletion answer InvalidRequestException with this wording. */
const PENDING_DELETION = /marked for deletion|scheduled for deletion/i;

/**
 * SecretStore on AWS Secrets Manager. Deletes keep the 7-day recovery window, so a mistaken delete
 * can be undone; a put on a name pending deletion restores it first, since that is what
 * re-entering a deleted secret means.
 */
export class SecretsManagerStore implements SecretStore {
  private readonly client: SecretsManagerClient;
  private readonly kmsKeyId: string | undefined;
  private readonly tags: Record<string, string>;

  constructor(options: SecretsManagerStoreOptions = {}) {
    this.client = options.client ?? new SecretsManagerClient({});
    this.kmsKeyId = options.kmsKeyId;
    this.tags = options.tags ?? {};
  }

  async get(name: string): Promise<string> {
    try {
      const result = await this.client.send(new GetSecretValueCommand({ SecretId: name }));
      if (result.SecretString === undefined) {
        throw new Error(`Secret ${name} holds binary data; this store reads string secrets only`);
      }
      return result.SecretString;
    } catch (error) {
      if (isNotFound(error) || isPendingDeletion(error)) throw new SecretNotFoundError(name);
      throw error;
    }
  }

  async put(name: string, value: string): Promise<void> {
    try {
      await this.putValue(name, value);
    } catch (error) {
      if (isPendingDeletion(error)) {
        await this.client.send(new RestoreSecretCommand({ SecretId: name }));
        await this.putValue(name, value);
        return;
      }
      if (!isNotFound(error)) throw error;
      await this.create(name, value);
    }
  }

  async delete(name: string): Promise<void> {
    try {
      await this.client.send(new DeleteSecretCommand({ SecretId: name, RecoveryWindowInDays: 7 }));
    } catch (error) {
      // Already gone or already on its way out: the caller's goal holds.
      if (isNotFound(error) || isPendingDeletion(error)) return;
      throw error;
    }
  }

  private async putValue(name: string, value: string): Promise<void> {
    await this.client.send(new PutSecretValueCommand({ SecretId: name, SecretString: value }));
  }

  private async create(name: string, value: string): Promise<void> {
    const tags = Object.entries(this.tags).map(([Key, Value]) => ({ Key, Value }));
    try {
      await this.client.send(
        new CreateSecretCommand({
          Name: name,
          SecretString: value,
          ...(this.kmsKeyId ? { KmsKeyId: this.kmsKeyId } : {}),
          ...(tags.length > 0 ? { Tags: tags } : {}),
        }),
      );
    } catch (error) {
      // Another writer created it between our put and create: our value still has to land.
      if (errorName(error) !== 'ResourceExistsException') throw error;
      await this.putValue(name, value);
    }
  }
}

function errorName(error: unknown): string | undefined {
  return error instanceof Error ? error.name : undefined;
}

function isNotFound(error: unknown): boolean {
  return errorName(error) === 'ResourceNotFoundException';
}

function isPendingDeletion(error: unknown): boolean {
  return (
    errorName(error) === 'InvalidRequestException' &&
    error instanceof Error &&
    PENDING_DELETION.test(error.message)
  );
}
