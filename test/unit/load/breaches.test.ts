import { expect } from 'chai';
import { breaches, table, type LoadFigures } from '../../load/drive.js';

// The load test's verdict: what makes `npm run load` and `make load` fail.

const slo = { p99LatencyMs: 250, maxErrorRate: 0.001 };
const figures: LoadFigures = {
  seconds: 20,
  connections: 10,
  requests: 10_000,
  requestsPerSecond: 500,
  p50: 10,
  p90: 20,
  p99: 250,
  errors: 10,
  errorRate: 0.001,
  statusCodes: { 200: 6660, 201: 3330, 502: 10 },
};

describe('load objectives', function () {
  it('are met at exactly the thresholds', function () {
    expect(breaches(figures, slo)).to.deep.equal([]);
  });

  it('are broken by a p99 a millisecond over, and by errors over the rate, each said', function () {
    expect(breaches({ ...figures, p99: 251, errors: 11, errorRate: 0.0011 }, slo)).to.deep.equal([
      'p99 latency 251 ms is above 250 ms',
      'error rate 0.11 % is above 0.10 %',
    ]);
  });

  it('are broken by a run nothing answered', function () {
    expect(breaches({ ...figures, requests: 0, errors: 0, errorRate: 1 }, slo)).to.include('no request was answered');
  });

  it('print as a table with the thresholds beside the figures', function () {
    const printed = table(figures, slo);
    expect(printed).to.match(/latency p99\s+250 ms\s+objective ≤ 250 ms/);
    expect(printed).to.match(/errors\s+10 \(0\.10 %\)\s+objective ≤ 0\.10 %/);
    expect(printed).to.contain('502×10');
  });
});
