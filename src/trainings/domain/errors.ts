/** Why a request broke a business rule; ports map each code to an HTTP status. */
export type DomainErrorCode =
  | 'invalid-input'
  | 'invalid-hour'
  | 'hour-not-available'
  | 'training-not-found'
  | 'not-allowed'
  | 'already-cancelled'
  | 'insufficient-balance';

/** A broken business rule, with a code clients can act on. */
export class DomainError extends Error {
  constructor(
    readonly code: DomainErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'DomainError';
  }
}
