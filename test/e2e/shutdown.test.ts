import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createConnection, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createTestDatabase, dropTestDatabase } from '../support/database.js';
import { freePort, until } from '../support/instances.js';


/**
 * Defect 11 (SPEC §7, §9): on SIGTERM the server lets requests finish until the shutdown
 * deadline, then cuts those still running; a stalled upload cut that way leaves no temporary
 * file behind. Runs the built server as `npm start` does, on a free port and its own DATA_DIR.
 */
describe('shutdown with a stalled upload', () => {
  let dataDir: string;
  let databaseUrl: string | null = null;
  let server: ChildProcess | null = null;

  beforeAll(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'keyshelf-shutdown-'));
    if (process.env.KEYSHELF_TEST_EMBEDDED !== '1') databaseUrl = await createTestDatabase();
    // dist/ is built once by `npm test` before the suites run.
  }, 180_000);
  afterAll(async () => {
    if (server?.exitCode === null) server.kill('SIGKILL');
    if (databaseUrl) await dropTestDatabase(databaseUrl);
    await rm(dataDir, { recursive: true, force: true });
  });

  it('SIGTERM cuts the upload at the deadline, removes its temporary file, and exits', async () => {
    const port = await freePort();
    let output = '';
    server = spawn(process.execPath, ['dist/src/main.js'], {
      env: {
        ...process.env,
        NODE_OPTIONS: '',
        DATA_DIR: dataDir,
        PORT: String(port),
        SHUTDOWN_TIMEOUT_SECONDS: '1',
        SWEEP_INTERVAL_SECONDS: '0',
        RATE_LIMIT_ENABLED: 'false',
        LOG_LEVEL: 'info',
        DATABASE_URL: databaseUrl ?? '',
      },
    });
    server.stdout!.on('data', (chunk) => (output += chunk));
    server.stderr!.on('data', (chunk) => (output += chunk));
    const exited = new Promise<number | null>((resolve) => server!.on('exit', (code) => resolve(code)));
    await until('the server to listen', async () => (output.includes('Keyshelf listening on') ? true : undefined), 60_000);

    const base = `http://127.0.0.1:${port}/v1/accounts/default`;
    const token = (await readFile(join(dataDir, 'admin-token'), 'utf8')).trim();
    const post = async (path: string, body: object, prefer?: string) => {
      const res = await fetch(`${base}${path}`, {
        method: 'POST',
        headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/vnd.api+json', ...(prefer ? { Prefer: prefer } : {}) },
        body: JSON.stringify(body),
      });
      return { status: res.status, location: res.headers.get('location'), body: (await res.json()) as { data: { id: string } } };
    };
    const product = await post('/products', { data: { type: 'products', attributes: { name: 'App' } } });
    const release = await post('/releases', { data: { type: 'releases', attributes: { version: '1.0.0', channel: 'stable' }, relationships: { product: { data: { type: 'products', id: product.body.data.id } } } } });
    const artifact = await post('/artifacts', { data: { type: 'artifacts', attributes: { filename: 'big.bin' }, relationships: { release: { data: { type: 'releases', id: release.body.data.id } } } } }, 'no-redirect');
    expect(artifact.status).toBe(200);

    // An upload that announces 10 MB, sends 1 MB and then stalls.
    const upload = new URL(artifact.location!);
    const socket: Socket = createConnection(port, '127.0.0.1');
    socket.on('error', () => undefined);
    await new Promise<void>((resolve) => socket.on('connect', resolve));
    socket.write(`PUT ${upload.pathname}${upload.search} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/octet-stream\r\nContent-Length: 10000000\r\n\r\n`);
    socket.write(Buffer.alloc(1_000_000, 7));
    const temp = join(dataDir, 'storage', 'tmp');
    await until('the upload to be staged', async () => ((await readdir(temp).catch(() => [])).length > 0 ? true : undefined));

    server.kill('SIGTERM');
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([exited, new Promise<'hung'>((resolve) => (timer = setTimeout(() => resolve('hung'), 20_000)))]);
    clearTimeout(timer);
    expect(code).not.toBe('hung');
    expect(output).toMatch(/shutdown deadline reached/);
    expect(await readdir(temp)).toEqual([]);
    expect(await readdir(join(dataDir, 'storage', 'blobs')).catch(() => [])).toEqual([]);
    socket.destroy();
  }, 120_000);
});
