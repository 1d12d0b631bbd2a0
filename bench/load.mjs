// One round of load, run as its own process by bench/lib.mjs: autocannon (keep-alive, one
// request in flight per connection), every response's status and body checked; prints JSON.
import autocannon from 'autocannon';

const { url, method, headers, body, expect, seconds, connections } = JSON.parse(process.argv[2]);
const times = [];
const statuses = {};
let bytes = 0;
const instance = autocannon({
  url,
  method,
  headers,
  body,
  connections,
  pipelining: 1,
  duration: seconds,
  ...(expect.body !== undefined ? { expectBody: expect.body } : {}),
});
instance.on('response', (_client, status, resBytes, responseTime) => {
  times.push(responseTime);
  statuses[status] = (statuses[status] ?? 0) + 1;
  bytes += resBytes;
});
instance.on('done', (result) => {
  times.sort((a, b) => a - b);
  const at = (p) => times[Math.min(times.length - 1, Math.floor((p / 100) * times.length))] ?? null;
  const wrongStatus = Object.entries(statuses).filter(([status]) => Number(status) !== expect.status).reduce((n, [, count]) => n + count, 0);
  const errors = result.errors + result.timeouts + (result.mismatches ?? 0) + wrongStatus;
  process.stdout.write(
    JSON.stringify({
      rps: times.length / seconds,
      requests: times.length,
      errors,
      detail: { errors: result.errors, timeouts: result.timeouts, mismatches: result.mismatches ?? 0, statuses },
      latency: { p50: at(50), p95: at(95), p99: at(99) },
      bytesPerResponse: times.length ? Math.round(bytes / times.length) : 0,
    }),
  );
});
