import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, symlink } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startApp, type TestApp } from '../support/app.js';

const run = promisify(execFile);

/** The ```sh blocks of one README section, in order. */
export function shellBlocks(markdown: string, heading: string): string[] {
  const start = markdown.indexOf(`\n## ${heading}`);
  if (start === -1) throw new Error(`README has no section "${heading}"`);
  const next = markdown.indexOf('\n## ', start + 1);
  const section = markdown.slice(start, next === -1 ? undefined : next);
  return [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((match) => match[1]);
}

/** What the README says a step prints: `# → value` comments, except descriptions ("the …"). */
export function expectedOutputs(blocks: string[]): string[] {
  return blocks.flatMap((block) => [...block.matchAll(/# → (.+)$/gm)].map((match) => match[1].trim())).filter((text) => !text.startsWith('the '));
}

/**
 * The README's walkthrough runs as written against a live server: the blocks of the section, in
 * order, in one bash with `-e -o pipefail` (a failing step fails the test), in a directory whose
 * `data/` is the server's data directory (as after `npm start`). The only change is the
 * address: `localhost:3000` becomes the test server's port. Every `# → value` the README shows
 * must appear in the output, in that order.
 */
describe('the README walkthrough (run as written)', () => {
  let t: TestApp;
  let dataDir: string;
  let cwd: string;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyshelf-readme-data-'));
    cwd = await mkdtemp(join(tmpdir(), 'keyshelf-readme-'));
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' }, { dataDir });
    await t.app.listen(0, '127.0.0.1');
    await symlink(dataDir, join(cwd, 'data'));
  }, 180_000);
  afterAll(async () => {
    await t?.close();
    await rm(dataDir, { recursive: true, force: true });
    await rm(cwd, { recursive: true, force: true });
  });

  it('runs every step and prints what the README says', async () => {
    const { port } = t.app.getHttpServer().address() as AddressInfo;
    const blocks = shellBlocks(await readFile('README.md', 'utf8'), 'Walkthrough');
    expect(blocks.length).toBeGreaterThan(5);
    const script = blocks.join('\n').replaceAll('localhost:3000', `127.0.0.1:${port}`);
    const result = await run('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd, maxBuffer: 1 << 20 }).catch((error: { stdout: string; stderr: string; code: number }) => {
      throw new Error(`the walkthrough stopped (exit ${error.code}):\n${error.stdout}\n${error.stderr}`);
    });
    const lines = result.stdout.split('\n');
    let at = 0;
    for (const expected of expectedOutputs(blocks)) {
      const found = lines.findIndex((line, index) => index >= at && line.trim() === expected.split(' (')[0]);
      if (found === -1) throw new Error(`"${expected}" was not printed after line ${at}:\n${result.stdout}`);
      at = found + 1;
    }
    expect(lines.some((line) => /^[0-9a-f-]{36}$/.test(line))).toBe(true);
  }, 180_000);
});
