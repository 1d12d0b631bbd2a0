// `npm run bench:rate-limit`: what the rate limiter (SPEC §8.4) costs on a hot route. The same
// server serves `GET /me` with a staff token under load three ways, one after the other on the
// same data: limits off (the baseline), limits on with counters in process memory, and limits
// on with counters in Redis. Limits are set high enough that nothing is refused, so every
// request pays for its count. Each variant runs ROUNDS times, interleaved; medians count.
// BENCH_DATABASE_URL runs it on PostgreSQL instead of the embedded database; BENCH_REDIS_URL
// names the Redis (default redis://127.0.0.1:6379).
import { execFile, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';

const run = promisify(execFile);
const ROUNDS = 3;
const DURATION_SECONDS = 8;
const CONNECTIONS = 16;
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const PREFIX = `keyshelf-bench-${randomUUID()}:`;
const HIGH = { RATE_LIMIT_ENABLED: 'true', RATE_LIMIT_ANONYMOUS: '1000000', RATE_LIMIT_STAFF: '1000000' };

const VARIANTS = [
  { name: 'limits off', env: { RATE_LIMIT_ENABLED: 'false' } },
  { name: 'limits on, memory', env: HIGH },
  { name: 'limits on, Redis', env: { ...HIGH, REDIS_URL, REDIS_KEY_PREFIX: PREFIX } },
];

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function freePort() {
  const server = createServer();
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address();
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function waitFor(url) {
  for (let i = 0; i < 120; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer`);
}

/** Starts the server with `env`, runs `work(base)`, stops it. */
async function withServer(dataDir, env, work) {
  const port = await freePort();
  const database = process.env.BENCH_DATABASE_URL ? { DATABASE_URL: process.env.BENCH_DATABASE_URL } : {};
  const server = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, ...database, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => server.on('exit', resolve));
  try {
    await waitFor(`http://127.0.0.1:${port}/health/ready`);
    return await work(`http://127.0.0.1:${port}`);
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

function load(url, token, duration) {
  return autocannon({ url, connections: CONNECTIONS, duration, headers: { authorization: `Bearer ${token}` } });
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'keyshelf-bench-'));
  await run('npm', ['run', 'build', '--silent']);
  const results = new Map(VARIANTS.map((variant) => [variant.name, []]));
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const variant of VARIANTS) {
        const result = await withServer(dir, variant.env, async (base) => {
          const token = (await readFile(join(dir, 'admin-token'), 'utf8')).trim();
          const url = `${base}/v1/accounts/default/me`;
          await load(url, token, 2); // warm-up
          return load(url, token, DURATION_SECONDS);
        });
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${variant.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
        results.get(variant.name).push(result);
      }
    }
    const baseline = median(results.get('limits off').map((r) => r.requests.average));
    for (const variant of VARIANTS) {
      const rounds = results.get(variant.name);
      const rate = median(rounds.map((r) => r.requests.average));
      const p50 = median(rounds.map((r) => r.latency.p50));
      const p99 = median(rounds.map((r) => r.latency.p99));
      console.log(
        `GET /me, ${CONNECTIONS} connections, ${variant.name}: ${rate.toFixed(0)} req/s (${((rate / baseline) * 100).toFixed(1)} % of limits off), ` +
          `latency p50 ${p50} ms, p99 ${p99} ms`,
      );
    }
  } finally {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${PREFIX}*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
