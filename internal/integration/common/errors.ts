/** What went wrong, for code that branches on it (never on the message, which is for people). */
export type PgspaceErrorCode =
  /** A setting or file the user gave is wrong: a URL, SHARD, PGSPACE_MAX_SPACES, pgspace.config, a config.d template. */
  | 'config'
  /** A schema cannot be migrated: its setup, a migration, an SQL script. */
  | 'schema'
  /** The server cannot be reached in time. */
  | 'unreachable'
  /** The server refused the admin's login, or the admin is no superuser. */
  | 'login'
  /** Something did not happen in time. */
  | 'timeout'
  /** The run holds its cap of spaces, and gave none back in time. */
  | 'cap-reached'
  /** The server has no connection left. */
  | 'no-connection-left'
  /** The server cannot write (its disk is full). */
  | 'server-full'
  /** The connection to the server was lost. */
  | 'connection-lost'
  /** The run cannot go on (its server is gone). */
  | 'run-broken'
  /** Making, keeping or dropping a space failed. */
  | 'space'
  /** The embedded server cannot be set up or started. */
  | 'embedded'
  /** The helper was called the wrong way: newSpace() outside a test, without global setup. */
  | 'misuse'
  /** newSpace() stopped waiting because its test was stopped. */
  | 'gave-up';

/**
 * An error meant for a person, not a debugger: mocha and Node print `stack`,
 * so the stack is just the message. The original error stays in `cause`;
 * `code` says what kind of failure it is.
 */
export class PgspaceError extends Error {
  constructor(
    readonly code: PgspaceErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'PgspaceError';
    this.stack = `pgspace: ${message}`;
  }
}

/**
 * `value[key]`, or undefined when `value` is not an object or reading the key
 * throws. What a test throws may be anything (a Proxy whose traps throw, a
 * getter that throws): code that looks at a failure must not fail itself.
 */
export function readProperty(value: unknown, key: PropertyKey): unknown {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return undefined;
  try {
    return (value as Record<PropertyKey, unknown>)[key];
  } catch {
    return undefined;
  }
}

/** Whether `value` has `key` (own or inherited); false when asking throws. */
export function hasProperty(value: unknown, key: PropertyKey): boolean {
  if (value === null || (typeof value !== 'object' && typeof value !== 'function')) return false;
  try {
    return key in value;
  } catch {
    return false;
  }
}

/**
 * Any value as text, never throwing: String() where it works, else its JSON
 * (an object with a null prototype has no toString), else what it is.
 */
export function textOf(value: unknown): string {
  if (typeof value === 'bigint') return `${value}n`;
  try {
    return String(value);
  } catch {
    /* no usable toString: a null-prototype object, a Proxy */
  }
  try {
    const json = JSON.stringify(value);
    if (json !== undefined) return json;
  } catch {
    /* cyclic, or a Proxy */
  }
  return 'a value that throws when inspected (a Proxy?)';
}

/** The message of anything thrown, for embedding in a PgspaceError. Never throws. */
export function messageOf(err: unknown): string {
  const errors = readProperty(err, 'errors');
  if (Array.isArray(errors) && errors.length > 0 && readProperty(err, 'name') === 'AggregateError') return messageOf(errors[0]);
  const message = readProperty(err, 'message');
  if (typeof message === 'string' && message) return message;
  const code = readProperty(err, 'code') ?? readProperty(err, 'name');
  if (message === '' && code !== undefined) return textOf(code);
  return textOf(err);
}
