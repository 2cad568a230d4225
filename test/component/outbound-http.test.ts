import { expect } from 'chai';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { interceptOutboundHttp } from '../support/outbound-http.js';

// The interceptor the component tests run under: a call nobody declared must fail the test, and never reach the network.

describe('outbound HTTP in component tests', function () {
  let server: http.Server;
  let hits = 0;
  let url: string;

  beforeEach(async function () {
    hits = 0;
    server = http.createServer((_, res) => (hits++, res.end('real')));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async function () {
    await new Promise((resolve) => server.close(resolve));
  });

  it('answers what the test declared', async function () {
    const outbound = interceptOutboundHttp();
    outbound.origin(url).intercept({ path: '/stock', method: 'GET' }).reply(200, { stock: 3 });
    const res = await fetch(`${url}/stock`);
    expect(await res.json()).to.deep.equal({ stock: 3 });
    await outbound.close();
    expect(hits).to.equal(0);
  });

  it('refuses a call nobody declared, and fails the test naming it, even when the code under test swallowed the error', async function () {
    const outbound = interceptOutboundHttp();
    const swallowed = await fetch(`${url}/users/ann/balance`, { method: 'POST' }).then(
      () => 'answered',
      () => 'refused',
    );
    expect(swallowed).to.equal('refused');
    const failure = await outbound.close().then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).to.equal(`the test made HTTP calls it did not declare (none reached the network): POST ${url}/users/ann/balance`);
    expect(hits).to.equal(0);
  });

  it('fails the test with what a stand-in reported (an answer its contract does not allow)', async function () {
    const outbound = interceptOutboundHttp();
    outbound.report('the users stand-in answered what the users API does not document: …');
    const failure = await outbound.close().then(
      () => undefined,
      (err: Error) => err.message,
    );
    expect(failure).to.equal('the users stand-in answered what the users API does not document: …');
  });

  it('puts the real network back when the test ends', async function () {
    await interceptOutboundHttp().close();
    expect(await (await fetch(url)).text()).to.equal('real');
    expect(hits).to.equal(1);
  });
});
