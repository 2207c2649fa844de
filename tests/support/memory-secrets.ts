import { SecretNotFoundError, type SecretStore } from '../../lambdas/ports/secrets.ts';

/** In-memory SecretStore for unit tests; `values()` lets a test look for leaks. */
export class MemorySecrets implements SecretStore {
  private readonly entries = new Map<string, string>();

  async get(name: string): Promise<string> {
    const value = this.entries.get(name);
    if (value === undefined) throw new SecretNotFoundError(name);
    return value;
  }

  async put(name: string, value: string): Promise<void> {
    this.entries.set(name, value);
  }

  async delete(name: string): Promise<void> {
    this.entries.delete(name);
  }

  names(): string[] {
    return [...this.entries.keys()].sort();
  }
}
