// Shared pieces of the benchmark harness: a database of its own, the server against it, load
// from another process, resident memory, medians and percentiles, and the results file.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

export const run = promisify(execFile);
export const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Seconds of load per round and measure; rounds alternate the measures with their baselines. */
export const DURATION = Number(process.env.BENCH_SECONDS ?? 3);
export const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
export const CONNECTIONS = 16;

export const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted.length % 2 ? sorted[(sorted.length - 1) / 2] : (sorted[sorted.length / 2 - 1] + sorted[sorted.length / 2]) / 2;
};
export const percentile = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];

export const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

export async function waitFor(url) {
  for (let i = 0; i < 240; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 250));
  }
  throw new Error(`${url} did not answer`);
}

export async function rssMiB(pid) {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)[1]) / 1024;
}

/** CPU time (user + system) a process has used so far, in ms (/proc, 100 ticks per second). */
export async function cpuMs(pid) {
  const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) * 10;
}

/** A database of its own on the PostgreSQL server, dropped by `drop()`. */
export async function benchDatabase() {
  const name = `keyshelf_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    async drop() {
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}

/** The built server (`dist/`) on a free port, against `databaseUrl`; `stop()` ends it. */
export async function startServer(databaseUrl, dataDir, extra = {}) {
  const port = await freePort();
  // BENCH_SERVER_FLAGS: node flags for the server (e.g. --cpu-prof), to find where time goes.
  const flags = process.env.BENCH_SERVER_FLAGS ? process.env.BENCH_SERVER_FLAGS.split(' ') : [];
  const child = spawn(process.execPath, [...flags, 'dist/src/main.js'], {
    env: { ...process.env, DATABASE_URL: databaseUrl, DATA_DIR: dataDir, PORT: String(port), RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn', ...extra },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const origin = `http://127.0.0.1:${port}`;
  await waitFor(`${origin}/health/ready`);
  const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
  return {
    origin,
    pid: child.pid,
    token,
    async stop() {
      child.kill('SIGTERM');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

/** A JSON:API call with the admin token; throws on 4xx/5xx. */
export async function api(base, token, method, path, body, extra = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    redirect: 'manual',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.api+json', ...extra },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return { res, json: res.status === 204 ? null : await res.json() };
}

/**
 * One round of load from another process (bench/load.mjs, autocannon with keep-alive and no
 * pipelining): requests per second, latency percentiles, errors, and the server's resident
 * memory (peak and growth) when `pid` is given. Every response's status, and body when
 * `expect.body` is given, is checked: any other answer is an error and fails the run.
 */
export async function load({ url, method = 'GET', headers = {}, body, expect, seconds = DURATION, pid, connections = CONNECTIONS }) {
  // The serving process's CPU per request: the server's, or this process's for the bare servers
  // it hosts. Unlike throughput, it hardly depends on how much CPU other work leaves us.
  const cpuPid = pid ?? process.pid;
  const cpuBefore = await cpuMs(cpuPid);
  const rssBefore = pid ? await rssMiB(pid) : null;
  let peak = rssBefore;
  const timer = pid ? setInterval(() => rssMiB(pid).then((v) => (peak = Math.max(peak, v)), () => {}), 100) : null;
  const config = JSON.stringify({ url, method, headers, body, expect, seconds, connections });
  const { stdout } = await run(process.execPath, ['bench/load.mjs', config], { maxBuffer: 64 * 1024 * 1024 });
  if (timer) clearInterval(timer);
  const cpu = (await cpuMs(cpuPid)) - cpuBefore;
  const result = JSON.parse(stdout);
  result.cpuMsPerRequest = result.requests ? cpu / result.requests : null;
  if (result.errors) throw new Error(`${method} ${url}: ${result.errors} errors of ${result.requests} (${JSON.stringify(result.detail)})`);
  return { ...result, rss: pid ? { before: rssBefore, peak, growth: peak - rssBefore } : null };
}

/**
 * Runs each measure `ROUNDS` times, alternating them (so a baseline shares the machine's state
 * with its measure), after one short warm-up each; returns per measure the median requests per
 * second, the median of each latency percentile, the errors and the largest memory figures.
 */
export async function alternate(measures, rounds = ROUNDS) {
  for (const options of Object.values(measures)) await load({ ...options, seconds: 1 });
  const samples = Object.fromEntries(Object.keys(measures).map((key) => [key, []]));
  for (let round = 0; round < rounds; round += 1) {
    for (const [key, options] of Object.entries(measures)) samples[key].push(await load(options));
  }
  return Object.fromEntries(
    Object.entries(samples).map(([key, list]) => [
      key,
      {
        rps: median(list.map((s) => s.rps)),
        rounds: list.map((s) => Number(s.rps.toFixed(1))),
        latencyMs: Object.fromEntries(['p50', 'p95', 'p99'].map((p) => [p, median(list.map((s) => s.latency[p]))])),
        cpuMsPerRequest: median(list.map((s) => s.cpuMsPerRequest)),
        requests: list.reduce((n, s) => n + s.requests, 0),
        errors: list.reduce((n, s) => n + s.errors, 0),
        bytesPerResponse: list[0].bytesPerResponse,
        serverRssMiB: list[0].rss ? { peak: Math.max(...list.map((s) => s.rss.peak)), growth: Math.max(...list.map((s) => s.rss.growth)) } : null,
      },
    ]),
  );
}

/** The machine the run happened on, and how busy it was. */
export async function machine() {
  const os = await import('node:os');
  return {
    cpus: os.cpus().length,
    cpuModel: os.cpus()[0]?.model,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    loadavg: os.loadavg().map((v) => Number(v.toFixed(2))),
    node: process.version,
    postgres: await (async () => {
      const client = new pg.Client({ connectionString: ADMIN_URL });
      await client.connect();
      try {
        return (await client.query('SHOW server_version')).rows[0].server_version;
      } finally {
        await client.end();
      }
    })(),
  };
}

/** Merges one scenario's results into bench/results/<YYYY-MM-DD>.json. */
export async function record(scenario, results) {
  await mkdir('bench/results', { recursive: true });
  const file = `bench/results/${new Date().toISOString().slice(0, 10)}.json`;
  let all = {};
  try {
    all = JSON.parse(await readFile(file, 'utf8'));
  } catch {}
  all[scenario] = { at: new Date().toISOString(), machine: await machine(), ...results };
  await writeFile(file, `${JSON.stringify(all, null, 2)}\n`);
}

/**
 * The ratio of two measures' throughput: the median of the per-round ratios, each round's pair
 * having run back to back, so that a burst of load from elsewhere weighs on both sides.
 */
export const pairedRatio = (measure, baseline) => median(measure.rounds.map((value, i) => value / baseline.rounds[i]));

/** A bar's verdict line, and whether it holds. */
export function verdict(label, value, target, unit = '%', higherIsBetter = true) {
  const pass = higherIsBetter ? value >= target : value <= target;
  const shown = unit === '%' ? `${(value * 100).toFixed(0)} %` : `${value.toFixed(1)} ${unit}`;
  const goal = unit === '%' ? `${(target * 100).toFixed(0)} %` : `${target} ${unit}`;
  console.log(`${label}: ${shown} (target ${higherIsBetter ? '≥' : '≤'} ${goal}) ${pass ? 'PASS' : 'FAIL'}`);
  return { label, value, target, unit, pass };
}
