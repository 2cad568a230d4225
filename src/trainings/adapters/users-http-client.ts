/** The users service over HTTP: it owns attendees' training balances. */
import { DomainError } from '../domain/errors.js';
import type { UsersService } from '../app/ports.js';

/** The users service could not be reached or answered something unexpected. */
export class UsersServiceError extends Error {
  readonly code = 'users-service-unavailable';
  constructor(message: string) {
    super(message);
    this.name = 'UsersServiceError';
  }
}

/** A UsersService calling `POST {baseUrl}/users/:id/balance`, with a bounded wait. */
export function usersHttpClient(baseUrl: string, timeoutMs = 3_000): UsersService {
  return {
    async changeBalance(userId, change) {
      const url = new URL(`users/${encodeURIComponent(userId)}/balance`, baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`);
      let res: Response;
      try {
        res = await fetch(url, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ change }),
          signal: AbortSignal.timeout(timeoutMs),
        });
      } catch (err) {
        throw new UsersServiceError(`users service at ${url.origin} unreachable: ${(err as Error).message}`);
      }
      if (res.ok) return;
      const body = (await res.json().catch(() => undefined)) as { error?: { code?: string; message?: string } } | undefined;
      // No balance to pay with: too little of one (409), or a user the users service never topped up (404).
      if (
        (res.status === 409 && body?.error?.code === 'insufficient-balance') ||
        (res.status === 404 && body?.error?.code === 'user-not-found')
      ) {
        throw new DomainError('insufficient-balance', body.error.message ?? 'insufficient training balance');
      }
      throw new UsersServiceError(`users service answered ${res.status} to a balance change`);
    },
  };
}
