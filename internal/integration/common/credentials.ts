import { createHash, createHmac, pbkdf2Sync, randomBytes } from 'node:crypto';

const made = new Set<string>();

/** A random 128-bit password, URL- and dotenv-safe (32 hex digits); remembered, so the trace can mask it. */
export function randomPassword(): string {
  const password = randomBytes(16).toString('hex');
  made.add(password);
  return password;
}

/** Every password randomPassword() made in this process. */
export function passwordsMade(): ReadonlySet<string> {
  return made;
}

/**
 * A SCRAM-SHA-256 verifier for `password`, in the format Postgres stores in
 * `pg_authid.rolpassword`. Passing it as `PASSWORD '<verifier>'` skips the
 * server-side hash (~3 ms per role at the default 4096 iterations).
 *
 * Why 1 iteration is safe here: iterations slow down guessing a *weak*
 * password from a leaked verifier. Space passwords are 128 random bits and
 * live for one test, so there is nothing to guess; the client still proves
 * it knows the password on every connect.
 */
export function scramVerifier(password: string, iterations = 1): string {
  const salt = randomBytes(16);
  const salted = pbkdf2Sync(password, salt, iterations, 32, 'sha256');
  const clientKey = createHmac('sha256', salted).update('Client Key').digest();
  const storedKey = createHash('sha256').update(clientKey).digest();
  const serverKey = createHmac('sha256', salted).update('Server Key').digest();
  return `SCRAM-SHA-256$${iterations}:${salt.toString('base64')}$${storedKey.toString('base64')}:${serverKey.toString('base64')}`;
}
