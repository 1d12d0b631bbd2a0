import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { createTestDatabase, dropTestDatabase } from '../support/database.js';
import { type Instance, startInstance, until } from '../support/instances.js';
import { stalledUpload, type UploadPath } from '../support/stalled-upload.js';

const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const MiB = 1024 * 1024;

/** Files under a directory, recursively, as paths relative to it. */
async function filesUnder(dir: string, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    if (entry.isDirectory()) found.push(...(await filesUnder(join(dir, entry.name), `${prefix}${entry.name}/`)));
    else found.push(`${prefix}${entry.name}`);
  }
  return found;
}

/**
 * SPEC §7, §9, §10 with the built server as `npm start` runs it, on PostgreSQL: the process is
 * killed (SIGKILL, no chance to clean up) in the middle of an upload on each upload path and
 * started again. No row may point at missing or short bytes, nothing partial is ever served,
 * and the sweep removes what the crash left.
 */
describe('SIGKILL in the middle of an upload, then a restart', () => {
  let dataDir: string;
  let databaseUrl: string | null = null;
  let server: Instance | null = null;
  let token = '';

  const env = () => ({ DATA_DIR: dataDir, DATABASE_URL: databaseUrl ?? '', PYPI_UPSTREAM_URL: '', SWEEP_GRACE_SECONDS: '3600' });
  const api = async (method: string, path: string, body?: object, headers: Record<string, string> = {}) => {
    const res = await fetch(`${server!.origin}/v1/accounts/default${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.api+json', ...headers },
      body: body ? JSON.stringify(body) : undefined,
      redirect: 'manual',
    });
    const text = await res.text();
    const json = /json/.test(res.headers.get('content-type') ?? '') && text !== '';
    return { status: res.status, location: res.headers.get('location'), body: json ? JSON.parse(text) : null };
  };
  const sql = async <T>(query: string): Promise<T[]> => {
    if (!databaseUrl) throw new Error('needs PostgreSQL');
    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      return (await client.query(query)).rows as T[];
    } finally {
      await client.end();
    }
  };

  /** Every UPLOADED row's bytes exist, whole and with its sha256; no other row is downloadable. */
  async function assertConsistent(): Promise<void> {
    const rows = await sql<{ id: string; status: string; storage_key: string | null; sha256: string | null; size: string | null }>(
      'SELECT id, status, storage_key, sha256, size FROM artifacts',
    );
    expect(rows.length).toBeGreaterThan(0);
    for (const row of rows) {
      if (row.status === 'UPLOADED') {
        const bytes = await readFile(join(dataDir, 'storage', 'blobs', row.storage_key!));
        expect({ id: row.id, size: bytes.length, sha256: sha256(bytes) }).toEqual({ id: row.id, size: Number(row.size), sha256: row.sha256 });
      } else {
        const shown = await api('GET', `/artifacts/${row.id}`);
        expect({ status: shown.status, location: shown.location }).toEqual({ status: 200, location: null });
      }
    }
  }

  async function sweep(): Promise<Record<string, number>> {
    const child = spawn(process.execPath, ['dist/src/cli/main.js', 'storage', 'sweep', '--grace-seconds', '0'], { env: { ...process.env, NODE_OPTIONS: '', ...env() } });
    let stdout = '';
    child.stdout.on('data', (chunk) => (stdout += chunk));
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve));
    expect(code).toBe(0);
    return JSON.parse(stdout).sweep;
  }

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyshelf-faults-'));
    // PostgreSQL always: the checks read the rows from outside the server.
    databaseUrl = await createTestDatabase();
    server = await startInstance(env());
    token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    expect((await api('POST', '/products', { data: { type: 'products', attributes: { name: 'App', code: 'app' } } })).status).toBe(201);
    // A finished upload that every restart must keep serving whole.
    const put = await fetch(`${server.origin}/v1/accounts/default/engines/generic/kept/1.0.0/kept.bin?product=app`, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: Buffer.alloc(MiB, 3) });
    expect(put.status).toBe(201);
  }, 180_000);
  afterAll(async () => {
    if (server) await server.stop();
    if (databaseUrl) await dropTestDatabase(databaseUrl);
    await rm(dataDir, { recursive: true, force: true });
  });

  /** Where each path's upload goes, and how to see afterwards that nothing of it is served. */
  const targets: Record<UploadPath, () => Promise<{ url: string; authorization?: string; served: () => Promise<number> }>> = {
    'artifact PUT': async () => {
      const release = await api('POST', '/releases', { data: { type: 'releases', attributes: { version: '1.0.0', channel: 'stable', status: 'PUBLISHED' }, relationships: { product: { data: { type: 'products', id: 'app' } } } } });
      const artifact = await api('POST', '/artifacts', { data: { type: 'artifacts', attributes: { filename: 'big.bin' }, relationships: { release: { data: { type: 'releases', id: release.body.data.id } } } } }, { Prefer: 'no-redirect' });
      const url = new URL(artifact.location!);
      return { url: url.pathname + url.search, served: async () => (await api('GET', `/artifacts/${artifact.body.data.id}`)).status };
    },
    'twine POST': async () => ({
      url: '/v1/accounts/default/products/app/engines/pypi',
      authorization: `Basic ${Buffer.from(`__token__:${token}`).toString('base64')}`,
      served: async () => (await api('GET', '/engines/pypi/simple/big/')).status,
    }),
    'generic PUT': async () => ({
      url: '/v1/accounts/default/engines/generic/big/1.0.0/big.bin?product=app',
      authorization: `Bearer ${token}`,
      served: async () => (await api('GET', '/engines/generic/big/1.0.0/big.bin')).status,
    }),
  };

  it.each<UploadPath>(['artifact PUT', 'twine POST', 'generic PUT'])('%s: killed mid-upload, restarted, nothing partial kept or served, the sweep removes the rest', async (path) => {
    if (!server) server = await startInstance(env());
    const target = await targets[path]();
    const socket = await stalledUpload(server.port, dataDir, path, target, 8 * MiB, 2 * MiB);
    server.kill('SIGKILL');
    expect(await server.exited).toBeNull();
    socket.destroy();
    server = null;
    // The crash left the staged bytes behind.
    expect((await readdir(join(dataDir, 'storage', 'tmp'))).length).toBeGreaterThan(0);

    server = await startInstance(env());
    await assertConsistent();
    const served = await target.served();
    // The artifact stays WAITING (its document, no download); the engines' file was never published.
    expect(served).toBe(path === 'artifact PUT' ? 200 : 404);
    expect((await api('GET', '/engines/generic/kept/1.0.0/kept.bin')).status).toBe(200);

    const report = await sweep();
    expect(report).toMatchObject({ removedBlobs: 0 });
    expect(await readdir(join(dataDir, 'storage', 'tmp'))).toEqual([]);
    const keys = new Set((await sql<{ storage_key: string }>('SELECT storage_key FROM artifacts WHERE storage_key IS NOT NULL')).map((row) => row.storage_key));
    expect((await filesUnder(join(dataDir, 'storage', 'blobs'))).filter((file) => !keys.has(file))).toEqual([]);
    await assertConsistent();
    await server.stop();
    server = null;
  }, 180_000);

  it('SIGTERM with downloads in flight: they finish whole, new connections are refused, the process exits 0', async () => {
    if (server) await server.stop();
    server = await startInstance({ ...env(), SHUTDOWN_TIMEOUT_SECONDS: '20' });
    const bytes = Buffer.alloc(24 * MiB);
    for (let i = 0; i < bytes.length; i += 4096) bytes[i] = i % 251;
    const put = await fetch(`${server.origin}/v1/accounts/default/engines/generic/dl/1.0.0/dl.bin?product=app`, { method: 'PUT', headers: { Authorization: `Bearer ${token}` }, body: bytes });
    expect(put.status).toBe(201);

    // Three downloads that read slowly: paused sockets hold the responses in flight.
    const port = server.port;
    const downloads = Array.from({ length: 3 }, () => {
      const socket = connect(port, '127.0.0.1');
      const chunks: Buffer[] = [];
      socket.on('data', (chunk: Buffer) => {
        // Stop reading at once: the rest of the response stays in flight until resumed.
        if (chunks.length === 0) socket.pause();
        chunks.push(chunk);
      });
      socket.write(`GET /v1/accounts/default/engines/generic/dl/1.0.0/dl.bin HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer ${token}\r\nConnection: close\r\n\r\n`);
      const done = new Promise<Buffer>((resolve) => socket.on('close', () => resolve(Buffer.concat(chunks))));
      return { socket, chunks, done };
    });
    await until('the downloads to start', () => (downloads.every((d) => d.chunks.length > 0) ? true : undefined));
    for (const d of downloads) expect(Buffer.concat(d.chunks).length).toBeLessThan(bytes.length);

    server.kill('SIGTERM');
    await until('the server to log the shutdown', () => (server!.output().includes('shutting down') ? true : undefined));
    const refused = await new Promise<string>((resolve) => {
      const probe = connect(port, '127.0.0.1');
      probe.on('connect', () => {
        probe.destroy();
        resolve('connected');
      });
      probe.on('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    });
    expect(refused).toBe('ECONNREFUSED');

    for (const d of downloads) d.socket.resume();
    for (const response of await Promise.all(downloads.map((d) => d.done))) {
      const split = response.indexOf('\r\n\r\n');
      expect(response.subarray(0, 12).toString()).toBe('HTTP/1.1 200');
      expect(sha256(response.subarray(split + 4))).toBe(sha256(bytes));
    }
    expect(await server.exited).toBe(0);
    expect(server.output()).not.toMatch(/shutdown deadline reached/);
    server = null;
    expect(existsSync(join(dataDir, 'storage', 'tmp')) ? await readdir(join(dataDir, 'storage', 'tmp')) : []).toEqual([]);
  }, 180_000);
});
