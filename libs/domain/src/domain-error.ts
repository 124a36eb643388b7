/** How a command failed, which the api maps to a status: Invalid 400, NotFound 404, IllegalState 409, Conflict 409, Forbidden 403. */
export type DomainErrorKind = 'Invalid' | 'NotFound' | 'IllegalState' | 'Conflict' | 'Forbidden';

/** The one error class of the domain: a rule refused a command. The message is shown to API callers as is. */
export class DomainError extends Error {
  constructor(readonly kind: DomainErrorKind, message: string) {
    super(message);
    this.name = 'DomainError';
  }
}

/** Exhaustiveness check for switches over unions. */
export const assertNever = (x: never): never => {
  throw new Error(`unexpected value: ${JSON.stringify(x)}`);
};
