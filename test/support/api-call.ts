/** Calling the services over real HTTP, as the e2e tests and the load test do. */

/** Who calls: the services take the user from these headers. */
export interface Caller {
  id: string;
  role: string;
}

/** One answer: status, headers, and the body parsed as JSON (undefined when empty). */
export interface ApiAnswer {
  status: number;
  headers: Headers;
  body: any; // the JSON of whatever route was called: tests read into it freely
}

/** `method path` on `base`, with a JSON body and a caller when given; 10 s at most. */
export async function callApi(base: string, method: string, path: string, body?: unknown, user?: Caller): Promise<ApiAnswer> {
  const res = await fetch(new URL(path, base), {
    method,
    headers: {
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      ...(user ? { 'x-user-id': user.id, 'x-user-role': user.role } : {}),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  const text = await res.text();
  return { status: res.status, headers: res.headers, body: text ? JSON.parse(text) : undefined };
}

/** What time it is for a service: its own clock, from the Date header of its health check (tests never read theirs). */
export async function serviceTime(base: string): Promise<Date> {
  return new Date((await callApi(base, 'GET', '/health')).headers.get('date')!);
}
