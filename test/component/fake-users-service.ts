/**
 * A stand-in for the users service at its HTTP boundary, for component tests:
 * a real local HTTP server speaking the same API, with balances in memory.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** A running fake; `balances` and `down` can be changed by the test. */
export interface FakeUsersService {
  url: string;
  balances: Map<string, number>;
  /** When true, every request gets a 503, as if the service were down. */
  down: boolean;
  close(): Promise<void>;
}

function send(res: http.ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** Starts the fake on a free 127.0.0.1 port. */
export async function startFakeUsersService(): Promise<FakeUsersService> {
  const fake = { balances: new Map<string, number>(), down: false } as FakeUsersService;
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (chunk) => (body += chunk));
    req.on('end', () => {
      if (fake.down) return send(res, 503, { error: { code: 'unavailable', message: 'down for the test' } });
      const match = /^\/users\/([^/]+)\/balance$/.exec(req.url ?? '');
      if (req.method !== 'POST' || !match) return send(res, 404, { error: { code: 'not-found', message: req.url } });
      const id = decodeURIComponent(match[1]!);
      const { change } = JSON.parse(body) as { change: number };
      const balance = fake.balances.get(id) ?? 0;
      if (balance + change < 0) return send(res, 409, { error: { code: 'insufficient-balance', message: `user ${id} has ${balance}` } });
      fake.balances.set(id, balance + change);
      return send(res, 200, { id, balance: balance + change });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  fake.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  fake.close = () => new Promise((resolve) => server.close(() => resolve()));
  return fake;
}
