import { execFile } from 'node:child_process';
import { createHash, createPublicKey, randomBytes, verify } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import semver from 'semver';
import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { releaseFixtures } from '../support/releases.js';
import { startS3, type TestS3 } from '../support/s3.js';

/**
 * A Tauri v2 updater (tauri-plugin-updater's updater.rs), played step by step against a live
 * server, with update files signed by the real Tauri CLI (`tauri signer sign`):
 * 1. `check()`: GET the endpoint with `{{target}}`, `{{arch}}`, `{{current_version}}` (its `+`
 *    percent-encoded) and `{{bundle_type}}` replaced, the app's headers (`Authorization: License
 *    <key>`), `Accept: application/json` and `User-Agent: tauri-plugin-updater/<version>`; 204 means
 *    no update, any other non-2xx fails, a 2xx must be JSON with a semver `version`, an RFC 3339
 *    `pub_date` if any, a `url` and a string `signature`; it installs only a newer version.
 * 2. `download()`: GET `url` with the same headers plus `Accept: application/octet-stream`, following
 *    redirects as reqwest does (Authorization kept on the same host, dropped on another).
 * 3. `verify_signature()`: minisign over the bytes with the app's public key (Ed25519 over the
 *    BLAKE2b-512 digest for `ED`), the global signature over signature and trusted comment, and the
 *    signed version when the trusted comment carries one.
 */
const run = promisify(execFile);
const USER_AGENT = 'tauri-plugin-updater/2.9.0';
const SENSITIVE = ['authorization', 'cookie', 'cookie2', 'proxy-authorization', 'www-authenticate'];

interface Hop {
  url: string;
  status: number;
  authorization: boolean;
}

/** reqwest's redirect policy: up to 10 hops, 303 becomes GET, sensitive headers only to the same host and port. */
async function get(url: string, headers: Record<string, string>, hops: Hop[]): Promise<Response> {
  let current = new URL(url);
  let sent = { ...headers };
  for (let hop = 0; hop <= 10; hop += 1) {
    const res = await fetch(current, { headers: sent, redirect: 'manual' });
    hops.push({ url: current.href, status: res.status, authorization: 'Authorization' in sent });
    if (![301, 302, 303, 307, 308].includes(res.status)) return res;
    const next = new URL(res.headers.get('location')!, current);
    if (next.host !== current.host) sent = Object.fromEntries(Object.entries(sent).filter(([name]) => !SENSITIVE.includes(name.toLowerCase())));
    await res.arrayBuffer();
    current = next;
  }
  throw new Error('too many redirects');
}

interface Update {
  version: string;
  url: string;
  signature: string;
}

async function check(endpoint: string, current: string, headers: Record<string, string>): Promise<Update | null> {
  const encodedVersion = current.replace(/\+/g, '%2B');
  const url = endpoint.replace('{{current_version}}', encodedVersion).replace('{{target}}', 'darwin').replace('{{arch}}', 'aarch64').replace('{{bundle_type}}', 'app');
  const res = await get(url, { ...headers, Accept: 'application/json', 'User-Agent': USER_AGENT }, []);
  if (res.status === 204) return null;
  if (res.status < 200 || res.status > 299) throw new Error(`update endpoint did not respond with a successful status code (${res.status})`);
  const body = (await res.json()) as Record<string, unknown>;
  const version = semver.parse(String(body.version).replace(/^v/, ''));
  if (!version) throw new Error('invalid version');
  if (body.pub_date !== undefined && (typeof body.pub_date !== 'string' || !/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(body.pub_date))) {
    throw new Error('invalid value for `pub_date`');
  }
  if (body.notes !== undefined && body.notes !== null && typeof body.notes !== 'string') throw new Error('invalid notes');
  if (typeof body.url !== 'string') throw new Error('the `url` field was not set on the updater response');
  new URL(body.url);
  if (typeof body.signature !== 'string') throw new Error('the `signature` field was not set on the updater response');
  return semver.gt(version, current) ? { version: version.version, url: body.url, signature: body.signature } : null;
}

async function download(update: Update, headers: Record<string, string>, hops: Hop[]): Promise<Buffer> {
  const res = await get(update.url, { ...headers, Accept: 'application/octet-stream', 'User-Agent': USER_AGENT }, hops);
  if (res.status < 200 || res.status > 299) throw new Error(`Download request failed with status: ${res.status}`);
  return Buffer.from(await res.arrayBuffer());
}

const ed25519 = (raw: Buffer) => createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b6570032100', 'hex'), raw]), format: 'der', type: 'spki' });

/** minisign-verify as the updater calls it (`allow_legacy = true`), then the signed version check. */
function verifySignature(data: Buffer, releaseSignature: string, pubKey: string, announcedVersion: string): void {
  const [, keyLine] = Buffer.from(pubKey, 'base64').toString('utf8').trim().split('\n');
  const key = Buffer.from(keyLine, 'base64');
  const [, sigLine, trustedLine, globalLine] = Buffer.from(releaseSignature, 'base64').toString('utf8').trim().split('\n');
  const box = Buffer.from(sigLine, 'base64');
  const algorithm = box.subarray(0, 2).toString('latin1');
  if (!box.subarray(2, 10).equals(key.subarray(2, 10))) throw new Error('the signature was made with another key');
  const message = algorithm === 'ED' ? createHash('blake2b512').update(data).digest() : data;
  if (!verify(null, message, ed25519(key.subarray(10)), box.subarray(10))) throw new Error('signature verification failed');
  const trusted = trustedLine.replace(/^trusted comment: /, '');
  if (!verify(null, Buffer.concat([box.subarray(10), Buffer.from(trusted)]), ed25519(key.subarray(10)), Buffer.from(globalLine, 'base64'))) {
    throw new Error('global signature verification failed');
  }
  const signedVersion = trusted.split('\t').find((field) => field.startsWith('version:'))?.slice('version:'.length);
  if (signedVersion !== undefined && signedVersion !== announcedVersion) throw new Error('signed version mismatch');
}

/** On object storage the 303 leads to the store's public endpoint, another host: the client drops Authorization there. */
describe.each([
  ['the filesystem driver', false],
  ['S3 (s3rver)', true],
])('a Tauri v2 updater against a live server on %s, files signed by the Tauri CLI', (_, useS3) => {
  let s3: TestS3 | null = null;
  let t: TestApp;
  let acme: TestAccount;
  let origin: string;
  let dir: string;
  let pubKey: string;
  let bundle: Buffer;
  let cliSignature: string;
  const keys: Record<string, string> = {};

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'keyshelf-tauri-'));
    const tauri = join(process.cwd(), 'node_modules', '.bin', 'tauri');
    await run(tauri, ['signer', 'generate', '-w', join(dir, 'updater.key'), '-p', 'secret', '--ci']);
    pubKey = (await readFile(join(dir, 'updater.key.pub'), 'utf8')).trim();
    bundle = randomBytes(3 * 1024 * 1024);
    await writeFile(join(dir, 'Desk.app.tar.gz'), bundle);
    await run(tauri, ['signer', 'sign', '-f', join(dir, 'updater.key'), join(dir, 'Desk.app.tar.gz')], { env: { ...process.env, TAURI_SIGNING_PRIVATE_KEY_PASSWORD: 'secret' } });
    cliSignature = await readFile(join(dir, 'Desk.app.tar.gz.sig'), 'utf8');

    if (useS3) s3 = await startS3();
    t = await startApp({ ...(s3 ? { ...s3.env, S3_PUBLIC_ENDPOINT: s3.env.S3_ENDPOINT.replace('127.0.0.1', 'localhost') } : {}), SWEEP_INTERVAL_SECONDS: '0' });
    await t.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    const f = releaseFixtures(t, acme);
    for (const strategy of ['OPEN', 'LICENSED'] as const) {
      const product = (await c.product({ name: strategy, code: strategy.toLowerCase(), distributionStrategy: strategy })).id;
      const pkg = (await c.package(product, { key: `desk-${strategy.toLowerCase()}`, engine: 'tauri' })).id;
      await f.release(product, '1.0.0+build.7', {}, pkg);
      const next = await f.release(product, '1.1.0', { description: 'Signed by the CLI' }, pkg);
      if (strategy === 'OPEN') {
        // The signature set by hand, as Keygen asks.
        await f.artifact(next, { filename: 'Desk.app.tar.gz', platform: 'darwin', arch: 'aarch64', signature: cliSignature }, bundle);
      } else {
        // The CLI's .sig uploaded beside the bundle.
        await f.artifact(next, { filename: 'Desk.app.tar.gz', platform: 'darwin', arch: 'aarch64' }, bundle);
        await f.artifact(next, { filename: 'Desk.app.tar.gz.sig' }, Buffer.from(cliSignature));
      }
      keys[strategy] = (await c.license((await c.policy(product)).id)).attributes.key as string;
    }
  }, 180_000);
  afterAll(async () => {
    await t.close();
    await s3?.close();
    await rm(dir, { recursive: true, force: true });
  });

  const endpoint = (pkg: string) => `${origin}${acme.base}/engines/tauri/${pkg}?platform={{target}}&arch={{arch}}&version={{current_version}}&bundle_type={{bundle_type}}`;

  it.each(['OPEN', 'LICENSED'])('%s: checks, downloads through the 303 with the same Authorization, and verifies the CLI signature', async (strategy) => {
    const headers = { Authorization: `License ${keys[strategy]}` };
    const pkg = `desk-${strategy.toLowerCase()}`;
    const update = await check(endpoint(pkg), '1.0.0+build.7', headers);
    expect(update).toMatchObject({ version: '1.1.0', signature: cliSignature.trim() });

    const hops: Hop[] = [];
    const bytes = await download(update!, headers, hops);
    expect(hops.map((h) => [h.status, h.authorization])).toEqual([
      [303, true],
      [200, !useS3],
    ]);
    expect(new URL(hops[1].url).host === new URL(hops[0].url).host).toBe(!useS3);
    expect(createHash('sha256').update(bytes).digest('hex')).toBe(createHash('sha256').update(bundle).digest('hex'));
    verifySignature(bytes, update!.signature, pubKey, update!.version);
    expect(() => verifySignature(Buffer.concat([bytes, Buffer.from('x')]), update!.signature, pubKey, update!.version)).toThrow('signature verification failed');

    const artifact = await t.as(bearer(acme.adminToken)).get(`${new URL(update!.url).pathname}`).set('Prefer', 'no-download').expect(200);
    expect(artifact.body.data.attributes).toMatchObject({ sha256: createHash('sha256').update(bytes).digest('hex'), downloads: 1 });
    expect(await check(endpoint(pkg), '1.1.0', headers)).toBeNull();
  });

  it('without the license, the LICENSED package fails the check (404) and the OPEN one still updates', async () => {
    await expect(check(endpoint('desk-licensed'), '1.0.0+build.7', {})).rejects.toThrow('(404)');
    expect(await check(endpoint('desk-open'), '1.0.0+build.7', {})).toMatchObject({ version: '1.1.0' });
  });
});
