/** The production image's HEALTHCHECK: exit 0 when GET /health answers 200. */
const url = process.env.HEALTHCHECK_URL ?? 'http://127.0.0.1:8080/health';
fetch(url, { signal: AbortSignal.timeout(2_000) }).then(
  (res) => process.exit(res.ok ? 0 : 1),
  () => process.exit(1),
);
