// `npm test`: type-check, then jest (as ESM) against PostgreSQL, then the plain closing line
// CI reads: "N passed, N failed". TEST_DATABASE_URL names a database the suites connect to in
// order to create and drop one database each.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync } from 'node:fs';

const run = (args, env = process.env) => spawnSync(process.execPath, args, { stdio: 'inherit', env }).status ?? 1;
const summary = (passed, failed) => process.stdout.write(`\n${passed} passed, ${failed} failed\n`);

// Type-check everything, then build dist/ once: suites that spawn the server or the CLI run that
// build and never rebuild it themselves (a rebuild under a running suite breaks it).
if (run(['node_modules/typescript/bin/tsc', '-p', 'tsconfig.json', '--noEmit']) !== 0 || run(['scripts/build.mjs']) !== 0) {
  summary(0, 1);
  process.exit(1);
}

const results = '.test-results/jest.json';
mkdirSync('.test-results', { recursive: true });
rmSync(results, { force: true });
const status = run(['node_modules/jest/bin/jest.js', '--json', `--outputFile=${results}`, ...process.argv.slice(2)], {
  ...process.env,
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --experimental-vm-modules --no-warnings=ExperimentalWarning`.trim(),
  TEST_DATABASE_URL: process.env.TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
});

let passed = 0;
let failed = status === 0 ? 0 : 1;
try {
  const report = JSON.parse(readFileSync(results, 'utf8'));
  // A suite that could not run (syntax error, failing beforeAll) reports no failing test: count it.
  const brokenSuites = report.testResults.filter((suite) => suite.status === 'failed' && suite.assertionResults.every((t) => t.status !== 'failed')).length;
  passed = report.numPassedTests;
  failed = report.numFailedTests + brokenSuites;
  if (status !== 0 && failed === 0) failed = 1;
} catch {
  // jest did not write its report: the run failed before any test
}
summary(passed, failed);
process.exit(status !== 0 || failed > 0 || passed === 0 ? 1 : 0);
