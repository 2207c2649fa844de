/** Errors domain code raises for a person's mistake, with a message fit to show them. */
export class DomainError extends Error {
  constructor(
    message: string,
    readonly code: 'not_found' | 'forbidden' | 'invalid' | 'conflict',
  ) {
    super(message);
    this.name = 'DomainError';
  }
}

export const notFound = (what: string) => new DomainError(`${what} not found`, 'not_found');
export const forbidden = (what: string) => new DomainError(what, 'forbidden');
export const invalid = (what: string) => new DomainError(what, 'invalid');
export const conflict = (what: string) => new DomainError(what, 'conflict');
