/**
 * An error meant for a person, not a debugger: mocha and Node print `stack`,
 * so the stack is just the message. The original error stays in `cause`.
 */
export class PgspaceError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'PgspaceError';
    this.stack = `pgspace: ${message}`;
  }
}

/** The message of anything thrown, for embedding in a PgspaceError. */
export function messageOf(err: unknown): string {
  if (err instanceof AggregateError && err.errors.length > 0) return messageOf(err.errors[0]);
  if (err instanceof Error) return err.message || String((err as NodeJS.ErrnoException).code ?? err.name);
  return String(err);
}
