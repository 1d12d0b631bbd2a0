// `npm run bench -- pages`: the PyPI page bars of SPEC §10, each beside its baseline in one run.
//  - warm project page (150 files), HTML and JSON, license key as Basic credentials, vs a bare
//    node:http server sending the same bytes and headers (target ≥ 50 %);
//  - the same with If-None-Match: 304 at least as fast as the 200;
//  - the /simple/ index of 1,000 projects, warm, vs the same bare server;
//  - cold renders (the change serial moved before each request): the 2,500-version page
//    (target ≤ 250 ms), the 150-file page in the 1,000-project account and in an account with
//    one project (render cost independent of the rest of the account), per file.
// Dataset (bench/seed.mjs): an account with 1,000 projects × 50 releases × 3 files and one
// project with 2,500 versions × 2 files; a second account with one project of 150 files.
import http from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { alternate, benchDatabase, median, pairedRatio, record, run, startServer, verdict } from './lib.mjs';
import { account, bulk, pypiProjects, SECRET_KEY } from './seed.mjs';

const HTML = 'text/html';
const JSON_TYPE = 'application/vnd.pypi.simple.v1+json';
const SERIALS = `SELECT a.id, s.auth_serial, s.catalog_serial FROM accounts a LEFT JOIN account_serials s ON s.account_id = a.id WHERE lower(a.slug) = lower($1)`;
const COLD_SAMPLES = Number(process.env.BENCH_COLD_SAMPLES ?? 5);
/** A change made by SQL, not through the API, shows once the coherence window (2 ms by default) has passed. */
const pastTheWindow = () => new Promise((resolve) => setTimeout(resolve, 10));

/**
 * A bare node:http server answering each path with the bytes and headers Keyshelf answered;
 * with a pool, it first runs the one indexed query a coherent answer needs (the account and its
 * change serials), as Keyshelf does on every request.
 */
function bareServer(pages, pool) {
  return http.createServer(async (req, res) => {
    if (pool && req.url.startsWith('/q/')) {
      req.url = req.url.slice(2);
      const { rows } = await pool.query(SERIALS, ['big']);
      if (rows.length !== 1) return res.writeHead(500).end();
    }
    const page = pages.get(`${req.url}|${req.headers.accept}`);
    if (!page) return res.writeHead(404).end();
    if (req.headers['if-none-match'] === page.headers.etag) return res.writeHead(304, page.headers).end();
    res.writeHead(200, { ...page.headers, 'Content-Length': page.body.length }).end(page.body);
  });
}

async function main() {
  await run('npm', ['run', 'build', '--silent']);
  const dir = await mkdtemp(join(tmpdir(), 'keyshelf-bench-pages-'));
  const database = await benchDatabase();
  let server;
  let bare;
  try {
    const capture = join(dir, 'queries.jsonl');
    process.env.BENCH_SERVER_FLAGS = `${process.env.BENCH_SERVER_FLAGS ?? ''} --import ./bench/query-capture.mjs`.trim();
    server = await startServer(database.url, join(dir, 'data'), { SECRET_KEY, PUBLIC_URL: 'http://pypi.bench.test', BENCH_CAPTURE: capture });
    const started = Date.now();
    const seeded = {};
    const admin = new pg.Client({ connectionString: database.url });
    await admin.connect();
    // Seeding: two accounts, through SQL in bulk.
    const seedClient = new pg.Client({ connectionString: database.url });
    await seedClient.connect();
    seeded.big = await account(seedClient, 'big');
    seeded.small = await account(seedClient, 'small');
    await seedClient.end();
    await bulk(database.url, seeded.big.account_id, async (client) => {
      await pypiProjects(client, { accountId: seeded.big.account_id, productId: seeded.big.product_id, prefix: 'proj', projects: 1000, releases: 50, files: 3 });
      await pypiProjects(client, { accountId: seeded.big.account_id, productId: seeded.big.product_id, prefix: 'huge', projects: 1, releases: 2500, files: 2 });
    });
    await bulk(database.url, seeded.small.account_id, (client) =>
      pypiProjects(client, { accountId: seeded.small.account_id, productId: seeded.small.product_id, prefix: 'proj', projects: 1, releases: 50, files: 3 }),
    );
    const counts = (await admin.query(`SELECT (SELECT count(*) FROM packages)::int AS packages, (SELECT count(*) FROM releases)::int AS releases, (SELECT count(*) FROM artifacts)::int AS files`)).rows[0];
    const seedSeconds = (Date.now() - started) / 1000;
    console.log(`seeded ${counts.packages} projects, ${counts.releases} releases, ${counts.files} files in ${seedSeconds.toFixed(1)} s`);

    const auth = (slug) => ({ Authorization: `Basic ${Buffer.from(`license:${seeded[slug].key}`).toString('base64')}` });
    const simple = (slug) => `${server.origin}/v1/accounts/${slug}/engines/pypi/simple`;
    const targets = {
      'page html': { url: `${simple('big')}/proj-0000/`, accept: HTML, slug: 'big' },
      'page json': { url: `${simple('big')}/proj-0000/`, accept: JSON_TYPE, slug: 'big' },
      'index html': { url: `${simple('big')}/`, accept: HTML, slug: 'big' },
    };
    // What Keyshelf answers, taken once: the bare server sends exactly that.
    const pages = new Map();
    for (const target of Object.values(targets)) {
      const res = await fetch(target.url, { headers: { ...auth(target.slug), Accept: target.accept } });
      if (res.status !== 200) throw new Error(`${target.url} → ${res.status}`);
      target.body = Buffer.from(await res.arrayBuffer());
      target.headers = Object.fromEntries(['content-type', 'etag', 'vary', 'cache-control', 'x-content-type-options'].map((h) => [h, res.headers.get(h)]));
      pages.set(`${new URL(target.url).pathname}|${target.accept}`, target);
    }
    const files = (targets['page html'].body.toString().match(/<a /g) ?? []).length;
    if (files !== 150) throw new Error(`the page lists ${files} files, not 150`);
    const pool = new pg.Pool({ connectionString: database.url, max: 10 });
    bare = bareServer(pages, pool);
    await new Promise((resolve) => bare.listen(0, '127.0.0.1', resolve));
    const bareOrigin = `http://127.0.0.1:${bare.address().port}`;
    const bareUrl = (url) => `${bareOrigin}${new URL(url).pathname}`;

    const measure = (target, extra = {}, status = 200) => ({
      url: target.url,
      headers: { ...auth(target.slug), Accept: target.accept, ...extra },
      expect: { status, ...(status === 200 ? { body: target.body.toString() } : {}) },
      pid: server.pid,
    });
    const baseline = (target, extra = {}, status = 200) => ({
      url: bareUrl(target.url),
      headers: { Accept: target.accept, ...extra },
      expect: { status, ...(status === 200 ? { body: target.body.toString() } : {}) },
    });
    const revalidate = (target) => ({ 'If-None-Match': target.headers.etag });
    const results = await alternate({
      'page html': measure(targets['page html']),
      'bare page html': baseline(targets['page html']),
      'bare page html + 1 query': { ...baseline(targets['page html']), url: bareUrl(targets['page html'].url).replace(bareOrigin, `${bareOrigin}/q`) },
      'page html 304': measure(targets['page html'], revalidate(targets['page html']), 304),
      'page json': measure(targets['page json']),
      'bare page json': baseline(targets['page json']),
      'index html': measure(targets['index html']),
      'bare index html': baseline(targets['index html']),
    });
    for (const [key, value] of Object.entries(results)) {
      console.log(`  ${key}: ${value.rps.toFixed(0)} req/s (rounds ${value.rounds.join(', ')}), p50/p95/p99 ${value.latencyMs.p50.toFixed(1)}/${value.latencyMs.p95.toFixed(1)}/${value.latencyMs.p99.toFixed(1)} ms, CPU ${value.cpuMsPerRequest.toFixed(3)} ms/req, ${value.bytesPerResponse} B, errors ${value.errors}`);
    }

    // Cold renders: the page's change serial moves (as any write to the project would), then one request.
    const cold = async (slug, key, accept = HTML) => {
      const { id } = (await admin.query(`SELECT id FROM packages WHERE account_id = $1 AND key = $2`, [seeded[slug].account_id, key])).rows[0];
      const times = [];
      for (let i = 0; i < COLD_SAMPLES; i += 1) {
        await admin.query(`SELECT keyshelf_bump_catalog($1, $2)`, [seeded[slug].account_id, id]);
        await pastTheWindow();
        const start = process.hrtime.bigint();
        const res = await fetch(`${simple(slug)}/${key}/`, { headers: { ...auth(slug), Accept: accept } });
        const body = await res.arrayBuffer();
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
        if (res.status !== 200 || body.byteLength === 0) throw new Error(`${key} → ${res.status}`);
      }
      return { ms: median(times), samples: times.map((t) => Number(t.toFixed(1))) };
    };
    const coldIndex = async () => {
      const times = [];
      for (let i = 0; i < COLD_SAMPLES; i += 1) {
        await admin.query(`SELECT keyshelf_bump_catalog($1, NULL)`, [seeded.big.account_id]);
        await pastTheWindow();
        const start = process.hrtime.bigint();
        const res = await fetch(`${simple('big')}/`, { headers: auth('big') });
        await res.arrayBuffer();
        times.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      return { ms: median(times), samples: times.map((t) => Number(t.toFixed(1))) };
    };
    const colds = {
      'huge-0000 (2,500 versions, 5,000 files) html': await cold('big', 'huge-0000'),
      'huge-0000 (2,500 versions, 5,000 files) json': await cold('big', 'huge-0000', JSON_TYPE),
      'proj-0000 (150 files) in the 1,000-project account': await cold('big', 'proj-0000'),
      'proj-0000 (150 files) in a one-project account': await cold('small', 'proj-0000'),
      'index of 1,000 projects': await coldIndex(),
    };
    for (const [key, value] of Object.entries(colds)) console.log(`  cold ${key}: ${value.ms.toFixed(1)} ms (samples ${value.samples.join(', ')})`);
    // The page query the server ran for the 2,500-version page, as the license sees it, explained.
    const hugeId = (await admin.query(`SELECT id FROM packages WHERE key = 'huge-0000'`)).rows[0].id;
    const captured = (await readFile(capture, 'utf8')).trim().split('\n').map((line) => JSON.parse(line)).filter((q) => (q.values ?? []).includes(hugeId)).pop();
    const plan = await admin.query(`EXPLAIN (ANALYZE, BUFFERS) ${captured.text}`, captured.values);
    const planText = plan.rows.map((row) => row['QUERY PLAN']);
    console.log(`  EXPLAIN ANALYZE of the 2,500-version page's query:\n${planText.map((line) => `    ${line}`).join('\n')}`);
    await admin.end();
    await pool.end();

    const ratio = (a, b) => pairedRatio(results[a], results[b]);
    const hugeCold = colds['huge-0000 (2,500 versions, 5,000 files) html'].ms;
    const bars = [
      verdict('warm project page (150 files) HTML vs bare node:http', ratio('page html', 'bare page html'), 0.5),
      verdict('warm project page (150 files) JSON vs bare node:http', ratio('page json', 'bare page json'), 0.5),
      verdict('304 revalidation vs the 200', ratio('page html 304', 'page html'), 1),
      verdict('2,500-version page rendered cold', hugeCold, 250, 'ms', false),
      verdict(
        'cold 150-file page: 1,000-project account vs one-project account (render cost independent of the account)',
        colds['proj-0000 (150 files) in a one-project account'].ms / colds['proj-0000 (150 files) in the 1,000-project account'].ms,
        0.5,
      ),
      verdict('/simple/ index of 1,000 projects, warm, vs bare node:http (no bar; same rule as pages)', ratio('index html', 'bare index html'), 0.5),
    ];
    // Not a bar: what the one query per request (the account and its change serials) costs the bare server itself.
    const diagnostics = {
      'bare + 1 query vs bare (HTML page)': ratio('bare page html + 1 query', 'bare page html'),
      'Keyshelf vs bare + 1 query (HTML page)': ratio('page html', 'bare page html + 1 query'),
    };
    for (const [key, value] of Object.entries(diagnostics)) console.log(`  ${key}: ${(value * 100).toFixed(0)} %`);
    const perFile = { 'ms per file, 150-file page': colds['proj-0000 (150 files) in the 1,000-project account'].ms / 150, 'ms per file, 5,000-file page': hugeCold / 5000 };
    console.log(`  linear in the page's files: ${Object.entries(perFile).map(([k, v]) => `${k} ${v.toFixed(3)}`).join('; ')}`);
    await record('pages', { dataset: { ...counts, seedSeconds }, load: results, cold: colds, perFile, diagnostics, bars, explain: planText });
    process.exitCode = bars.every((bar) => bar.pass) ? 0 : 1;
  } finally {
    bare?.close();
    await server?.stop();
    await database.drop();
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
