// `npm run bench -- upgrades`: the hot paths of installed software that ask for updates (SPEC §10),
// each beside its baseline in the same run on the same machine, loaded by autocannon from another
// process (keep-alive, every status checked):
//  - GET /releases/{id}/upgrade among 10,000 releases vs the same among 100 (target: ≥ 50 %, i.e.
//    within 2×), and vs a bare node:http server with a pg pool running one indexed query per
//    request and sending the same bytes (target ≥ 33 %);
//  - the Tauri update check GET /engines/tauri/{package} vs the same bare server (target ≥ 33 %).
// Callers authenticate as installed software does: the license key as Basic credentials.
// Runs on PostgreSQL (BENCH_DATABASE_URL, default the local server), in a database of its own.
import { execFile, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { createServer } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const run = promisify(execFile);
const ADMIN_URL = process.env.BENCH_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const DURATION = Number(process.env.BENCH_SECONDS ?? 8);
const CONNECTIONS = 16;
const ROUNDS = 2;
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const freePort = () =>
  new Promise((resolve) => {
    const server = createServer().listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });

async function waitFor(url) {
  for (let i = 0; i < 120; i += 1) {
    try {
      if ((await fetch(url)).ok) return;
    } catch {}
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`${url} did not answer`);
}

/** autocannon in its own process; fails on any error or unexpected status. */
async function load(url, headers, seconds = DURATION) {
  const args = ['-c', String(CONNECTIONS), '-d', String(seconds), '-j'];
  for (const [name, value] of Object.entries(headers)) args.push('-H', `${name}=${value}`);
  const { stdout } = await run('node_modules/.bin/autocannon', [...args, url], { maxBuffer: 16 * 1024 * 1024 });
  const result = JSON.parse(stdout);
  if (result.errors || result.timeouts || result.non2xx || !result['2xx']) {
    throw new Error(`${url}: ${result.errors} errors, ${result.timeouts} timeouts, ${result.non2xx} non-2xx of ${result.requests.total}`);
  }
  return result.requests.average;
}

async function api(base, token, method, path, body, extra = {}) {
  const res = await fetch(`${base}${path}`, {
    method,
    redirect: 'manual',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.api+json', ...extra },
    body: body ? JSON.stringify(body) : undefined,
  });
  if (res.status >= 400) throw new Error(`${method} ${path} → ${res.status} ${await res.text()}`);
  return { res, json: res.status === 204 ? null : await res.json() };
}

/** N published stable releases 1.0.0 … of one package, written directly (as many POSTs would). */
async function seedReleases(db, accountId, productId, packageId, count) {
  const { parseVersion, versionSortKey } = await import('../dist/src/releases/version.js');
  const versions = Array.from({ length: count }, (_, i) => `1.${Math.floor(i / 100)}.${i % 100}`);
  const parsed = versions.map((v) => parseVersion(v));
  await db.query(
    `INSERT INTO releases (account_id, product_id, package_id, version, semver_major, semver_minor, semver_patch, sort_key, channel, status)
     SELECT $1, $2, $3, v, ma, mi, pa, k, 'stable', 'PUBLISHED'
     FROM unnest($4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[]) AS u(v, ma, mi, pa, k)`,
    [accountId, productId, packageId, versions, parsed.map((p) => p.major), parsed.map((p) => p.minor), parsed.map((p) => p.patch), parsed.map((p) => versionSortKey(p))],
  );
  await db.query('ANALYZE releases');
  return versions;
}

/**
 * The baseline: node:http and a pg pool, one indexed query per request (the candidate walk, with
 * the file for the Tauri check), answering the bytes Keyshelf answered.
 */
function bareServer(pool, routes) {
  return http.createServer(async (req, res) => {
    const route = routes[req.url];
    const { rows } = await pool.query(route.sql, route.parameters);
    if (rows.length !== 1) {
      res.writeHead(500).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': route.type, 'Content-Length': route.body.length });
    res.end(route.body);
  });
}

async function main() {
  await run('npm', ['run', 'build', '--silent']);
  const dir = await mkdtemp(join(tmpdir(), 'keyshelf-bench-upgrades-'));
  const name = `keyshelf_bench_${randomBytes(4).toString('hex')}`;
  const admin = new pg.Client({ connectionString: ADMIN_URL });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const port = await freePort();
  const server = spawn(process.execPath, ['dist/src/main.js'], {
    env: { ...process.env, DATABASE_URL: url.toString(), DATA_DIR: join(dir, 'data'), PORT: String(port), RATE_LIMIT_ENABLED: 'false', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const db = new pg.Pool({ connectionString: url.toString(), max: 4 });
  let bare;
  try {
    const origin = `http://127.0.0.1:${port}`;
    await waitFor(`${origin}/health/ready`);
    const token = (await readFile(join(dir, 'data', 'admin-token'), 'utf8')).trim();
    const base = `${origin}/v1/accounts/default`;
    const accountId = (await db.query(`SELECT id FROM accounts WHERE slug = 'default'`)).rows[0].id;
    const rel = (type, id) => ({ data: { type, id } });
    const { json: product } = await api(base, token, 'POST', '/products', { data: { type: 'products', attributes: { name: 'Bench', code: 'bench' } } });
    const { json: policy } = await api(base, token, 'POST', '/policies', { data: { type: 'policies', attributes: { name: 'P' }, relationships: { product: rel('products', product.data.id) } } });
    const { json: license } = await api(base, token, 'POST', '/licenses', { data: { type: 'licenses', relationships: { policy: rel('policies', policy.data.id) } } });
    const auth = { Authorization: `Basic ${Buffer.from(`license:${license.data.attributes.key}`).toString('base64')}` };
    const packages = {};
    for (const [key, count] of [['small-app', 100], ['big-app', 10_000]]) {
      const { json: pkg } = await api(base, token, 'POST', '/packages', { data: { type: 'packages', attributes: { name: key, key, engine: 'tauri' }, relationships: { product: rel('products', product.data.id) } } });
      const versions = await seedReleases(db, accountId, product.data.id, pkg.data.id, count);
      const top = versions[versions.length - 1];
      const { res } = await api(base, token, 'POST', '/artifacts', { data: { type: 'artifacts', attributes: { filename: `app-${top}.app.tar.gz`, platform: 'darwin', arch: 'aarch64', signature: 'dW50cnVzdGVkIGNvbW1lbnQ6IGJlbmNo' }, relationships: { release: rel('releases', top) } } }, { Prefer: 'no-redirect' });
      const put = await fetch(res.headers.get('location'), { method: 'PUT', body: randomBytes(1024), headers: { 'Content-Type': 'application/octet-stream' } });
      if (!put.ok) throw new Error(`upload → ${put.status}`);
      const first = (await db.query(`SELECT id, sort_key FROM releases WHERE package_id = $1 AND version = '1.0.0'`, [pkg.data.id])).rows[0];
      packages[key] = { id: pkg.data.id, first, upgradeUrl: `${base}/releases/${first.id}/upgrade` };
    }
    const big = packages['big-app'];
    const tauriUrl = `${base}/engines/tauri/big-app?platform=darwin&arch=aarch64&version=1.0.0`;
    const bytesOf = async (target) => {
      const res = await fetch(target, { headers: auth });
      if (res.status !== 200) throw new Error(`${target} → ${res.status}`);
      return { body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
    };

    const pool = new pg.Pool({ connectionString: url.toString(), max: 10 });
    const candidates = `FROM releases r WHERE r.product_id = $1 AND r.package_id = $2 AND r.status = 'PUBLISHED' AND r.sort_key > $3`;
    bare = bareServer(pool, {
      '/upgrade': { sql: `SELECT r.* ${candidates} ORDER BY r.sort_key DESC LIMIT 1`, parameters: [product.data.id, big.id, big.first.sort_key], ...(await bytesOf(big.upgradeUrl)) },
      '/tauri': {
        sql: `SELECT r.version, r.description, r.created_at, a.id, a.filename, a.signature ${candidates.replace('FROM releases r', 'FROM releases r JOIN artifacts a ON a.release_id = r.id')}
              AND a.platform = 'darwin' AND a.arch = 'aarch64' AND a.status = 'UPLOADED' ORDER BY r.sort_key DESC LIMIT 1`,
        parameters: [product.data.id, big.id, big.first.sort_key],
        ...(await bytesOf(tauriUrl)),
      },
    });
    const barePort = await freePort();
    await new Promise((resolve) => bare.listen(barePort, '127.0.0.1', resolve));
    const bareOrigin = `http://127.0.0.1:${barePort}`;

    const plan = await db.query(`EXPLAIN ANALYZE SELECT r.* ${candidates} ORDER BY r.sort_key DESC LIMIT 1`, [product.data.id, big.id, big.first.sort_key]);
    console.log('EXPLAIN ANALYZE of the candidate walk among 10,000 releases:');
    for (const row of plan.rows) console.log(`  ${row['QUERY PLAN']}`);

    const measures = {
      'upgrade among 100': [packages['small-app'].upgradeUrl, auth],
      'upgrade among 10,000': [big.upgradeUrl, auth],
      'tauri check among 10,000': [tauriUrl, auth],
      'bare upgrade': [`${bareOrigin}/upgrade`, {}],
      'bare tauri': [`${bareOrigin}/tauri`, {}],
    };
    for (const [target, headers] of Object.values(measures)) await load(target, headers, 2); // warm-up
    const results = Object.fromEntries(Object.keys(measures).map((key) => [key, []]));
    for (let round = 0; round < ROUNDS; round += 1) {
      for (const [key, [target, headers]] of Object.entries(measures)) results[key].push(await load(target, headers));
    }
    const rps = Object.fromEntries(Object.entries(results).map(([key, values]) => [key, median(values)]));
    const rows = [
      ['upgrade among 10,000', 'upgrade among 100', 0.5],
      ['upgrade among 10,000', 'bare upgrade', 1 / 3],
      ['tauri check among 10,000', 'bare tauri', 1 / 3],
    ];
    let ok = true;
    for (const [measure, baseline, target] of rows) {
      const ratio = rps[measure] / rps[baseline];
      const pass = ratio >= target;
      ok &&= pass;
      console.log(
        `${measure}: ${rps[measure].toFixed(0)} req/s vs ${baseline}: ${rps[baseline].toFixed(0)} req/s → ${(ratio * 100).toFixed(0)} % (target ≥ ${(target * 100).toFixed(0)} %) ${pass ? 'PASS' : 'FAIL'}`,
      );
    }
    process.exitCode = ok ? 0 : 1;
    await pool.end();
  } finally {
    bare?.close();
    await db.end();
    server.kill('SIGTERM');
    await new Promise((resolve) => server.on('exit', resolve));
    await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await admin.end();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
