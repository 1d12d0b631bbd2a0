// `npm run bench -- upgrades`: the hot paths of installed software (SPEC §10), each as it calls
// them (the license key as Basic credentials; for validate-key, in the body), beside a bare
// node:http server with a pg pool that runs one indexed query per request and sends the same
// bytes (target ≥ 33 %); and the upgrade lookup among 10,000 releases beside the same among 100
// (target: within 2×, i.e. ≥ 50 % of its throughput).
// Dataset: a Tauri product with a package of 10,000 releases across channels (stable, beta) with
// files for three platform/arch pairs, and a package of 100 releases, written in bulk with SQL.
import http from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { alternate, benchDatabase, pairedRatio, record, run, startServer, verdict } from './lib.mjs';
import { account, bulk, SECRET_KEY, versions } from './seed.mjs';

const TARGETS = [
  ['darwin', 'aarch64'],
  ['linux', 'x86_64'],
  ['windows', 'x86_64'],
];
const SIGNATURE = Buffer.from('untrusted comment: bench\nRUQ=\ntrusted comment: bench\nAA==\n').toString('base64');

/** Releases 1.0.0 … of a Tauri package, every tenth on beta, with a signed file per target. */
async function tauriPackage(client, { accountId, productId, key, count }) {
  const v = await versions(count);
  await client.query(`INSERT INTO engines (account_id, key) VALUES ($1, 'tauri') ON CONFLICT DO NOTHING`, [accountId]);
  const { rows } = await client.query(`INSERT INTO packages (account_id, product_id, name, key, engine) VALUES ($1, $2, $3, $3, 'tauri') RETURNING id`, [accountId, productId, key]);
  await client.query(
    `INSERT INTO releases (account_id, product_id, package_id, version, semver_major, semver_minor, semver_patch, sort_key, channel, status, created_at)
     SELECT $1, $2, $3, u.v, u.ma, u.mi, u.pa, u.k, CASE WHEN u.o % 10 = 0 THEN 'beta' ELSE 'stable' END, 'PUBLISHED', timestamptz '2026-01-01' + (u.o * interval '1 minute')
     FROM unnest($4::text[], $5::bigint[], $6::bigint[], $7::bigint[], $8::text[]) WITH ORDINALITY AS u(v, ma, mi, pa, k, o)`,
    [accountId, productId, rows[0].id, v.list, v.major, v.minor, v.patch, v.sortKey],
  );
  await client.query(
    `INSERT INTO artifacts (account_id, release_id, filename, filetype, filesize, platform, arch, signature, status, sha256, size, storage_key, created_at)
     SELECT r.account_id, r.id, $2 || '-' || r.version || '-' || t.platform || '-' || t.arch || '.app.tar.gz', 'tar.gz', 4194304, t.platform, t.arch, $3,
            'UPLOADED', encode(sha256(convert_to(r.id::text || t.platform, 'UTF8')), 'hex'), 4194304, 'bench/' || r.id || '/' || t.platform, r.created_at
     FROM releases r, unnest($4::text[], $5::text[]) AS t(platform, arch) WHERE r.package_id = $1`,
    [rows[0].id, key, SIGNATURE, TARGETS.map((t) => t[0]), TARGETS.map((t) => t[1])],
  );
  return rows[0].id;
}

/** The baseline: node:http and a pg pool, one indexed query per request, answering the bytes Keyshelf answered. */
function bareServer(pool, routes) {
  return http.createServer(async (req, res) => {
    const route = routes[req.url];
    const { rows } = await pool.query(route.sql, route.parameters);
    if (rows.length !== 1) return res.writeHead(500).end();
    res.writeHead(200, { 'Content-Type': route.type, 'Content-Length': route.body.length });
    res.end(route.body);
  });
}

async function main() {
  await run('npm', ['run', 'build', '--silent']);
  const dir = await mkdtemp(join(tmpdir(), 'keyshelf-bench-upgrades-'));
  const database = await benchDatabase();
  let server;
  let bare;
  const pool = new pg.Pool({ connectionString: database.url, max: 10 });
  try {
    server = await startServer(database.url, join(dir, 'data'), { SECRET_KEY });
    const db = new pg.Client({ connectionString: database.url });
    await db.connect();
    const seeded = await account(db, 'vendor');
    const packages = {};
    await bulk(database.url, seeded.account_id, async (client) => {
      await client.query(`UPDATE products SET name = 'Desktop', code = 'desktop' WHERE id = $1`, [seeded.product_id]);
      packages.big = await tauriPackage(client, { accountId: seeded.account_id, productId: seeded.product_id, key: 'big-app', count: 10_000 });
      packages.small = await tauriPackage(client, { accountId: seeded.account_id, productId: seeded.product_id, key: 'small-app', count: 100 });
    });
    const first = async (pkg) => (await db.query(`SELECT id, sort_key FROM releases WHERE package_id = $1 AND version = '1.0.1'`, [pkg])).rows[0];
    const current = { big: await first(packages.big), small: await first(packages.small) };
    const base = `${server.origin}/v1/accounts/vendor`;
    const auth = { Authorization: `Basic ${Buffer.from(`license:${seeded.key}`).toString('base64')}` };
    const validateBody = JSON.stringify({ meta: { key: seeded.key, scope: { product: 'desktop' } } });
    const urls = {
      upgradeBig: `${base}/releases/${current.big.id}/upgrade`,
      upgradeSmall: `${base}/releases/${current.small.id}/upgrade`,
      tauri: `${base}/engines/tauri/big-app?platform=darwin&arch=aarch64&version=1.0.1`,
      validate: `${base}/licenses/actions/validate-key`,
    };
    const answer = async (url, init = {}) => {
      const res = await fetch(url, init);
      if (res.status !== 200) throw new Error(`${url} → ${res.status} ${await res.text()}`);
      return { body: Buffer.from(await res.arrayBuffer()), type: res.headers.get('content-type') };
    };
    const answers = {
      upgrade: await answer(urls.upgradeBig, { headers: auth }),
      upgradeSmall: await answer(urls.upgradeSmall, { headers: auth }),
      tauri: await answer(urls.tauri, { headers: auth }),
      validate: await answer(urls.validate, { method: 'POST', headers: { 'Content-Type': 'application/vnd.api+json' }, body: validateBody }),
    };
    const candidates = `FROM releases r WHERE r.product_id = $1 AND r.package_id = $2 AND r.status = 'PUBLISHED' AND r.sort_key > $3`;
    const walk = [seeded.product_id, packages.big, current.big.sort_key];
    bare = bareServer(pool, {
      '/upgrade': { sql: `SELECT r.* ${candidates} AND r.channel = 'stable' ORDER BY r.sort_key DESC LIMIT 1`, parameters: walk, ...answers.upgrade },
      '/tauri': {
        sql: `SELECT r.version, r.description, r.created_at, a.id, a.filename, a.signature ${candidates.replace('FROM releases r', 'FROM releases r JOIN artifacts a ON a.release_id = r.id')}
              AND r.channel = 'stable' AND a.platform = 'darwin' AND a.arch = 'aarch64' AND a.status = 'UPLOADED' ORDER BY r.sort_key DESC LIMIT 1`,
        parameters: walk,
        ...answers.tauri,
      },
      '/validate': { sql: `SELECT l.suspended, l.expiry, p.expiration_strategy FROM licenses l JOIN policies p ON p.id = l.policy_id WHERE l.id = $1`, parameters: [seeded.license_id], ...answers.validate },
    });
    await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareOrigin = `http://127.0.0.1:${bare.address().port}`;
    const plan = await db.query(`EXPLAIN ANALYZE SELECT r.* ${candidates} AND r.channel = 'stable' ORDER BY r.sort_key DESC LIMIT 1`, walk);
    await db.end();

    const get = (url, body, headers = auth) => ({ url, headers, expect: { status: 200, body: body.toString() }, ...(url.startsWith(server.origin) ? { pid: server.pid } : {}) });
    const results = await alternate({
      'upgrade among 10,000': get(urls.upgradeBig, answers.upgrade.body),
      'upgrade among 100': get(urls.upgradeSmall, answers.upgradeSmall.body),
      'bare upgrade': get(`${bareOrigin}/upgrade`, answers.upgrade.body, {}),
      'tauri check among 10,000': get(urls.tauri, answers.tauri.body),
      'bare tauri': get(`${bareOrigin}/tauri`, answers.tauri.body, {}),
      'validate-key': { ...get(urls.validate, answers.validate.body, { 'Content-Type': 'application/vnd.api+json' }), method: 'POST', body: validateBody },
      'bare validate-key': get(`${bareOrigin}/validate`, answers.validate.body, {}),
    });
    for (const [key, value] of Object.entries(results)) {
      console.log(`  ${key}: ${value.rps.toFixed(0)} req/s (rounds ${value.rounds.join(', ')}), p50/p95/p99 ${value.latencyMs.p50.toFixed(1)}/${value.latencyMs.p95.toFixed(1)}/${value.latencyMs.p99.toFixed(1)} ms, CPU ${value.cpuMsPerRequest.toFixed(3)} ms/req, ${value.bytesPerResponse} B, errors ${value.errors}${value.serverRssMiB ? `, server RSS peak ${value.serverRssMiB.peak.toFixed(0)} MiB` : ''}`);
    }
    const ratio = (a, b) => pairedRatio(results[a], results[b]);
    const bars = [
      verdict('upgrade lookup among 10,000 vs among 100', ratio('upgrade among 10,000', 'upgrade among 100'), 0.5),
      verdict('upgrade lookup (license key) vs bare node:http + pg', ratio('upgrade among 10,000', 'bare upgrade'), 1 / 3),
      verdict('Tauri update check (license key) vs bare node:http + pg', ratio('tauri check among 10,000', 'bare tauri'), 1 / 3),
      verdict('validate-key vs bare node:http + pg', ratio('validate-key', 'bare validate-key'), 1 / 3),
    ];
    await record('upgrades', { dataset: { releases: 10_100, files: 30_300 }, load: results, bars, explain: plan.rows.map((row) => row['QUERY PLAN']) });
    process.exitCode = bars.every((bar) => bar.pass) ? 0 : 1;
  } finally {
    bare?.close();
    await pool.end();
    await server?.stop();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
