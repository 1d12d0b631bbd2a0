import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { benchDatabase, load, startServer } from './lib.mjs';
import { account, bulk, pypiProjects, SECRET_KEY } from './seed.mjs';
const dir = await mkdtemp(join(tmpdir(), 'kq-'));
const database = await benchDatabase();
const server = await startServer(database.url, join(dir, 'data'), { SECRET_KEY, PUBLIC_URL: 'http://pypi.bench.test' });
const c = new pg.Client({ connectionString: database.url }); await c.connect();
const s = await account(c, 'small');
await bulk(database.url, s.account_id, (client) => pypiProjects(client, { accountId: s.account_id, productId: s.product_id, prefix: 'proj', projects: 1, releases: 50, files: 3 }));
const auth = { Authorization: `Basic ${Buffer.from(`license:${s.key}`).toString('base64')}` };
const url = `${server.origin}/v1/accounts/small/engines/pypi/simple/proj-0000/`;
const first = await fetch(url, { headers: auth }); const body = await first.text(); console.log(first.status, body.length);
const dbname = new URL(database.url).pathname.slice(1);
const x = async () => Number((await c.query('SELECT xact_commit FROM pg_stat_database WHERE datname=$1', [dbname])).rows[0].xact_commit);
for (let i = 0; i < 2; i++) {
  const before = await x();
  const r = await load({ url, headers: auth, expect: { status: 200, body }, pid: server.pid, seconds: Number(process.env.S ?? 4) });
  await new Promise((r) => setTimeout(r, 600));
  const after = await x();
  console.log(`rps ${r.rps?.toFixed?.(0) ?? JSON.stringify(r).slice(0,200)} cpu ${r.cpuMsPerRequest?.toFixed(3)} requests ${r.requests} xacts ${after - before}`);
}
await server.stop?.(); process.exit(0);
