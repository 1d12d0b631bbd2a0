import { spawn } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { bearer, startApp, type TestApp } from '../support/app.js';

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

function npm(args: string[], env: Record<string, string>): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', args, { env: { ...process.env, NODE_OPTIONS: '', ...env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    child.stderr.on('data', (chunk) => (stderr += chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the operator's exact command form: `npm run cli -- …`. */
const cli = (args: string[], env: Record<string, string>) => npm(['run', 'cli', '--', ...args], env);

describe('npm run cli -- account create (SPEC §2)', () => {
  let t: TestApp;
  beforeAll(async () => {
    t = await startApp();
  });
  afterAll(() => t.close());

  it('prints one JSON line with a working admin token, and refuses a taken slug', async () => {
    const env = { DATABASE_URL: t.config.databaseUrl!, DATA_DIR: t.config.dataDir };
    const created = await cli(['account', 'create', '--slug', 'acme', '--name', 'Acme Inc', '--email', 'ops@acme.test', '--password', 'password-1'], env);
    expect(created.code).toBe(0);
    const lines = created.stdout.split('\n').filter((line) => line !== '');
    expect(lines).toHaveLength(1);
    const out = JSON.parse(lines[0]);
    expect(out).toEqual({
      account: { id: expect.any(String), slug: 'acme' },
      user: { id: expect.any(String), email: 'ops@acme.test' },
      token: expect.stringMatching(/^admin_/),
    });
    const me = await t.as(bearer(out.token)).get('/v1/accounts/acme/me').expect(200);
    expect(me.body.data.id).toBe(out.user.id);
    await t.as(`Basic ${Buffer.from('ops@acme.test:password-1').toString('base64')}`).post('/v1/accounts/acme/tokens').expect(201);

    const again = await cli(['account', 'create', '--slug', 'ACME'], env);
    expect(again.code).toBe(1);
    expect(again.stdout).toBe('');
    expect(again.stderr).toMatch(/already taken/);
  });

  it.each([
    [['account', 'create'], /--slug is required/],
    [['account', 'create', '--slug', 'Not A Slug'], /slug must be/],
    [['account', 'create', '--slug', 'ok', '--email', 'a@b.co'], /--email and --password go together/],
    [['account', 'create', '--slug', 'ok', '--colour', 'red'], /unknown option --colour/],
  ])('refuses %j with exit code 1 and a message', async (args, message) => {
    const result = await cli(args, { DATABASE_URL: t.config.databaseUrl!, DATA_DIR: t.config.dataDir });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(message);
    expect(result.stdout).toBe('');
  });

  it('storage sweep removes unreferenced bytes past the grace period and prints a summary', async () => {
    const blobs = join(t.config.dataDir, 'storage', 'blobs', '00000000-0000-4000-8000-000000000000');
    await mkdir(blobs, { recursive: true });
    const orphan = join(blobs, '00000000-0000-4000-8000-0000000000aa.00000000-0000-4000-8000-0000000000bb');
    await writeFile(orphan, 'orphaned bytes');
    const env = { DATABASE_URL: t.config.databaseUrl!, DATA_DIR: t.config.dataDir };
    const kept = await cli(['storage', 'sweep'], env);
    expect(kept.code).toBe(0);
    expect(JSON.parse(kept.stdout).sweep).toMatchObject({ removedBlobs: 0, keptBlobs: 1 });
    expect(existsSync(orphan)).toBe(true);
    const swept = await cli(['storage', 'sweep', '--grace-seconds', '0'], env);
    expect(swept.code).toBe(0);
    expect(JSON.parse(swept.stdout).sweep).toMatchObject({ removedBlobs: 1 });
    expect(swept.stderr).toMatch(/checked 1 blobs/);
    expect(existsSync(orphan)).toBe(false);
  });

  it('the server refuses to start on a bad setting, naming the variable', async () => {
    const result = await npm(['start'], { PORT: 'eighty', DATA_DIR: t.config.dataDir });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/Invalid configuration: PORT must be a whole number/);
  });

  // Two CLI runs (each builds first) and two embedded starts: over a minute on a busy machine.
  it('refuses the embedded database while a server owns it, and works once it stops', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyshelf-cli-'));
    const server = await startApp({}, { embedded: true, dataDir });
    try {
      const refused = await cli(['account', 'create', '--slug', 'beta'], { DATA_DIR: dataDir, DATABASE_URL: '' });
      expect(refused.code).toBe(1);
      expect(refused.stderr).toMatch(/already running on the embedded database/);
      expect(refused.stdout).toBe('');
    } finally {
      await server.close();
    }
    try {
      const created = await cli(['account', 'create', '--slug', 'beta'], { DATA_DIR: dataDir, DATABASE_URL: '' });
      expect(created.code).toBe(0);
      const out = JSON.parse(created.stdout);
      const again = await startApp({}, { embedded: true, dataDir });
      try {
        await again.as(bearer(out.token)).get('/v1/accounts/beta/me').expect(200);
      } finally {
        await again.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, 180_000);

  it('--help lists the commands and exits 0; no command prints the usage and exits 2; a current build is not rebuilt', async () => {
    const stamp = () => statSync('dist/.build-stamp').mtimeMs;
    const built = stamp();
    const help = await cli(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('account create --slug <slug>');
    expect(help.stdout).toContain('storage sweep');
    const none = await cli([], {});
    expect(none.code).toBe(2);
    expect(none.stderr).toContain('usage: npm run cli -- <command>');
    expect(stamp()).toBe(built);
  });
});
