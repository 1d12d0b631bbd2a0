// `npm run bench:rate-limit`: what the rate limiter (SPEC §8.4) costs on a hot route. The same
// server serves `GET /me` with a staff token under load three ways, one after the other on the
// same data: limits off (the baseline), limits on with counters in process memory, and limits
// on with counters in Redis. Limits are set high enough that nothing is refused, so every
// request pays for its count. Each variant runs ROUNDS times, interleaved; medians count.
// Runs on PostgreSQL (BENCH_DATABASE_URL, default the local server), in a database of its own;
// BENCH_REDIS_URL names the Redis (default redis://127.0.0.1:6379).
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import { Redis } from 'ioredis';
import { benchDatabase, cpuMs, freePort, median, record, run, waitFor } from './lib.mjs';

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

/** Starts the server with `env`, runs `work(base, pid)`, stops it. */
async function withServer(dataDir, database, env, work) {
  const port = await freePort();
  const server = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, ...database, DATA_DIR: dataDir, PORT: String(port), LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const exited = new Promise((resolve) => server.on('exit', resolve));
  try {
    await waitFor(`http://127.0.0.1:${port}/health/ready`);
    return await work(`http://127.0.0.1:${port}`, server.pid);
  } finally {
    server.kill('SIGTERM');
    await exited;
  }
}

/** The limiter alone, in this process: mean time of one count, sequentially and 16 at a time. */
async function limiterAlone() {
  const { loadConfig } = await import('../dist/src/config/config.js');
  const { RateLimits } = await import('../dist/src/rate-limit/rate-limits.service.js');
  const { pino } = await import('pino');
  const rows = [];
  for (const [name, env] of [
    ['memory', HIGH],
    ['Redis', { ...HIGH, REDIS_URL, REDIS_KEY_PREFIX: PREFIX }],
  ]) {
    const limits = new RateLimits(loadConfig(env), pino({ level: 'warn' }));
    await limits.onModuleInit();
    const key = (i) => `bench:10.0.${(i >> 8) & 255}.${i & 255}`;
    const count = 20_000;
    for (let i = 0; i < 1000; i += 1) await limits.charge('standard', key(i));
    let start = process.hrtime.bigint();
    for (let i = 0; i < count; i += 1) await limits.charge('standard', key(i));
    const sequential = Number(process.hrtime.bigint() - start) / 1e3 / count;
    start = process.hrtime.bigint();
    for (let i = 0; i < count; i += CONNECTIONS) {
      await Promise.all(Array.from({ length: CONNECTIONS }, (_, j) => limits.charge('standard', key(i + j))));
    }
    const concurrent = Number(process.hrtime.bigint() - start) / 1e3 / count;
    await limits.onApplicationShutdown();
    rows.push(`limiter alone, ${name}: ${sequential.toFixed(1)} µs per count one at a time, ${concurrent.toFixed(1)} µs per count ${CONNECTIONS} at a time`);
  }
  return rows;
}

function load(url, token, duration) {
  return autocannon({ url, connections: CONNECTIONS, duration, headers: { authorization: `Bearer ${token}` } });
}

async function main() {
  const dir = await mkdtemp(join(tmpdir(), 'keyshelf-bench-'));
  await run('npm', ['run', 'build', '--silent']);
  const results = new Map(VARIANTS.map((variant) => [variant.name, []]));
  const database = await benchDatabase();
  try {
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const variant of VARIANTS) {
        const result = await withServer(dir, { DATABASE_URL: database.url }, variant.env, async (base, pid) => {
          const token = (await readFile(join(dir, 'admin-token'), 'utf8')).trim();
          const url = `${base}/v1/accounts/default/me`;
          await load(url, token, 2); // warm-up
          const cpuBefore = await cpuMs(pid);
          const measured = await load(url, token, DURATION_SECONDS);
          // Server CPU per request: what the limiter adds, less distorted than throughput by
          // whatever else the machine runs.
          return { ...measured, cpuMicros: (((await cpuMs(pid)) - cpuBefore) * 1e3) / measured.requests.total };
        });
        if (result.non2xx > 0 || result.errors > 0) throw new Error(`${variant.name}: ${result.non2xx} non-2xx answers, ${result.errors} errors`);
        results.get(variant.name).push(result);
      }
    }
    const alone = await limiterAlone();
    for (const row of alone) console.log(row);
    const baseline = median(results.get('limits off').map((r) => r.requests.average));
    const measures = [];
    for (const variant of VARIANTS) {
      const rounds = results.get(variant.name);
      const rate = median(rounds.map((r) => r.requests.average));
      const p50 = median(rounds.map((r) => r.latency.p50));
      const p99 = median(rounds.map((r) => r.latency.p99));
      const cpu = median(rounds.map((r) => r.cpuMicros));
      const line =
        `GET /me, ${CONNECTIONS} connections, ${variant.name}: ${rate.toFixed(0)} req/s (${((rate / baseline) * 100).toFixed(1)} % of limits off), ` +
        `server CPU ${cpu.toFixed(0)} µs per request, latency p50 ${p50} ms, p99 ${p99} ms; rounds ${rounds.map((r) => r.requests.average.toFixed(0)).join(', ')} req/s`;
      console.log(line);
      measures.push(line);
    }
    // No bar of SPEC §10: recorded as lines, which bench/report.mjs lists.
    await record('rate-limit', { notes: [...alone, ...measures] });
  } finally {
    const redis = new Redis(REDIS_URL);
    const keys = await redis.keys(`${PREFIX}*`).catch(() => []);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
