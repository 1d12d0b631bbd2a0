// `npm run bench [-- name …]`: the benchmark harness (SPEC §10). Each scenario runs in its own
// process, against PostgreSQL (BENCH_DATABASE_URL, default the local server) in a database of
// its own, every measure beside its baseline in the same run, in alternating rounds. Results
// are merged into bench/results/<YYYY-MM-DD>.json; docs/performance.md reads them.
//   pages      warm project page (150 files, HTML and JSON) and 304 vs bare node:http; cold
//              renders (2,500 versions; 150 files in a big and a small account); /simple/ index
//   upgrades   upgrade lookup among 100 and 10,000; Tauri update check; validate-key — each vs
//              bare node:http with one indexed pg query
//   transfer   100 MiB uploads (signed PUT, generic PUT raw and form, twine) vs sha256sum + cp;
//              16 concurrent 100 MiB downloads vs nginx sendfile; server memory growth
//   rate-limit what the rate limiter costs on a hot route (off, memory, Redis)
// BENCH_SECONDS (default 4) and BENCH_ROUNDS (default 3) set the length of each round.
import { spawnSync } from 'node:child_process';
import { loadavg } from 'node:os';

const SCENARIOS = ['pages', 'upgrades', 'transfer', 'rate-limit'];
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !SCENARIOS.includes(name));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; choose among ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
const started = Date.now();
console.log(`load average before: ${loadavg().map((v) => v.toFixed(2)).join(' ')}`);
const failed = [];
for (const name of chosen.length ? chosen : SCENARIOS) {
  console.log(`== ${name}`);
  if (spawnSync(process.execPath, [`bench/${name}.mjs`], { stdio: 'inherit' }).status !== 0) failed.push(name);
}
console.log(`load average after: ${loadavg().map((v) => v.toFixed(2)).join(' ')}; ${((Date.now() - started) / 60000).toFixed(1)} min`);
if (failed.length) console.log(`bars not met in: ${failed.join(', ')}`);
spawnSync(process.execPath, ['bench/report.mjs'], { stdio: 'inherit' });
process.exit(failed.length ? 1 : 0);
