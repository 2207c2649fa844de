/**
 * Secrets port. Values are opaque strings; callers never log them. Names are paths such as
 * `orchestrator/telegram/bot-token` or `projects/<id>/<KEY>`.
 */
export interface SecretStore {
  /** @throws SecretNotFoundError */
  get(name: string): Promise<string>;
  put(name: string, value: string): Promise<void>;
  delete(name: string): Promise<void>;
}

export class SecretNotFoundError extends Error {
  constructor(readonly secretName: string) {
    super(`Secret not found: ${secretName}`);
    this.name = 'SecretNotFoundError';
  }
}
