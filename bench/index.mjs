// `npm run bench [-- name …]`: runs the named benchmark scenarios (default: all), one process each.
import { spawnSync } from 'node:child_process';

const SCENARIOS = ['transfer', 'upgrades', 'rate-limit'];
const chosen = process.argv.slice(2);
const unknown = chosen.filter((name) => !SCENARIOS.includes(name));
if (unknown.length) {
  console.error(`unknown scenario(s): ${unknown.join(', ')}; choose among ${SCENARIOS.join(', ')}`);
  process.exit(2);
}
let failed = false;
for (const name of chosen.length ? chosen : SCENARIOS) {
  console.log(`== ${name}`);
  failed ||= spawnSync(process.execPath, [`bench/${name}.mjs`], { stdio: 'inherit' }).status !== 0;
}
process.exit(failed ? 1 : 0);
