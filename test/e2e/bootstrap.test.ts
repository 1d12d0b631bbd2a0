import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Account } from '../../src/database/entities/account.entity.js';
import { MIGRATIONS } from '../../src/database/migrations/index.js';
import { bearer, doc, startApp } from '../support/app.js';
import { createTestDatabase, dropTestDatabase } from '../support/database.js';

// The embedded database (PGlite, WebAssembly) boots and migrates in seconds on a quiet machine,
// but takes minutes on a loaded one: these tests get room for that.
const EMBEDDED_BOOT_TIMEOUT = 240_000;

describe('first-start bootstrap (SPEC §2, §9)', () => {
  it('the embedded default boots, bootstraps once and keeps data across restarts', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyshelf-embedded-'));
    try {
      const first = await startApp({}, { embedded: true, dataDir });
      const tokenPath = join(dataDir, 'admin-token');
      const token = (await readFile(tokenPath, 'utf8')).trim();
      expect((await stat(tokenPath)).mode & 0o777).toBe(0o600);
      expect(token).toMatch(/^admin_[A-Za-z0-9_-]{43}$/);
      const me = await first.as(bearer(token)).get('/v1/accounts/default/me').expect(200);
      expect(me.body.data).toMatchObject({ type: 'users', attributes: { role: 'admin' } });
      await first.as(bearer(token)).post('/v1/accounts/default/users').send(doc('users', { email: 'kept@example.test' })).expect(201);
      await first.http.get('/health/ready').expect(200);
      const before = await stat(tokenPath);
      await first.close();

      const second = await startApp({}, { embedded: true, dataDir });
      try {
        expect(await second.db.getRepository(Account).count()).toBe(1);
        expect((await readFile(tokenPath, 'utf8')).trim()).toBe(token);
        expect((await stat(tokenPath)).mtimeMs).toBe(before.mtimeMs);
        await second.as(bearer(token)).get('/v1/accounts/default/users/kept@example.test').expect(200);
        // One connection, many requests: concurrent reads and writes stay correct.
        const writes = Array.from({ length: 30 }, (_, i) =>
          second.as(bearer(token)).post('/v1/accounts/default/users').send(doc('users', { email: `c${i}@example.test`, name: `n${i}` })),
        );
        const reads = Array.from({ length: 30 }, () => second.as(bearer(token)).get('/v1/accounts/default/me'));
        const [written, read] = await Promise.all([Promise.all(writes), Promise.all(reads)]);
        written.forEach((res, i) => {
          expect(res.status).toBe(201);
          expect(res.body.data.attributes).toMatchObject({ email: `c${i}@example.test`, name: `n${i}` });
        });
        read.forEach((res) => expect(res.body.data.attributes.role).toBe('admin'));
        expect((await second.as(bearer(token)).get('/v1/accounts/default/users').expect(200)).body.meta.count).toBe(32);
      } finally {
        await second.close();
      }
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, EMBEDDED_BOOT_TIMEOUT);

  it('the embedded default restarts after the process was killed', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'keyshelf-killed-'));
    const start = () => spawn(process.execPath, ['dist/src/main.js'], { env: { ...process.env, NODE_OPTIONS: '', DATA_DIR: dataDir, PORT: '0', LOG_LEVEL: 'info' } });
    const ready = (child: ReturnType<typeof start>) =>
      new Promise<void>((resolve, reject) => {
        let output = '';
        let errors = '';
        child.stdout!.on('data', (chunk) => {
          output += chunk;
          if (output.includes('Keyshelf listening on')) resolve();
        });
        child.stderr!.on('data', (chunk) => (errors += chunk));
        child.on('exit', (code) => reject(new Error(`exited with ${code}\nstdout: ${output}\nstderr: ${errors}`)));
      });
    try {
      // dist/ is built once by `npm test` before the suites run.
      const first = start();
      await ready(first);
      first.kill('SIGKILL');
      await new Promise((resolve) => first.on('exit', resolve));
      const second = start();
      await ready(second);
      second.kill('SIGTERM');
      expect(await new Promise((resolve) => second.on('exit', resolve))).toBe(0);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  }, EMBEDDED_BOOT_TIMEOUT);

  it('instances starting together on an empty PostgreSQL migrate and bootstrap exactly once', async () => {
    const databaseUrl = await createTestDatabase();
    const dirs = await Promise.all([0, 1, 2].map(() => mkdtemp(join(tmpdir(), 'keyshelf-pg-'))));
    try {
      const apps = await Promise.all(dirs.map((dataDir) => startApp({}, { databaseUrl, dataDir })));
      try {
        expect(await apps[0].db.getRepository(Account).count()).toBe(1);
        const written: string[] = [];
        for (const dir of dirs) {
          const content = await readFile(join(dir, 'admin-token'), 'utf8').catch(() => null);
          if (content) written.push(content.trim());
        }
        expect(written).toHaveLength(1);
        await apps[2].as(bearer(written[0])).get('/v1/accounts/default/me').expect(200);
        // Revocation on one instance takes effect on the next request to any other.
        const created = await apps[0].as(bearer(written[0])).post('/v1/accounts/default/tokens').expect(201);
        const raw = created.body.data.attributes.token;
        await apps[1].as(bearer(raw)).get('/v1/accounts/default/me').expect(200);
        await apps[0].as(bearer(written[0])).delete(`/v1/accounts/default/tokens/${created.body.data.id}`).expect(204);
        await apps[1].as(bearer(raw)).get('/v1/accounts/default/me').expect(401);
        await apps[2].as(bearer(raw)).get('/v1/accounts/default/me').expect(401);
        const migrations = await apps[0].db.query('SELECT count(*)::int AS n FROM migrations');
        expect(migrations[0].n).toBe(MIGRATIONS.length);
      } finally {
        await Promise.all(apps.map((app) => app.close()));
      }
    } finally {
      await dropTestDatabase(databaseUrl);
      await Promise.all(dirs.map((dir) => rm(dir, { recursive: true, force: true })));
    }
  });
});
