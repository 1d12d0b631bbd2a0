import { bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { catalog } from '../support/catalog.js';
import { footprint, genericUrl } from '../support/generic.js';

/** The generic registry's names (SPEC §6.3): checked after URL decoding, refused with 400 naming the parameter, nothing written. */
describe('generic registry: names', () => {
  let t: TestApp;
  let acme: TestAccount;
  let appId: string;
  let productToken: string;
  const admin = () => t.as(bearer(acme.adminToken));
  const url = (...segments: string[]) => genericUrl(acme, ...segments);
  const put = (path: string, bytes: string) => admin().put(path).set('Content-Type', 'application/octet-stream').send(bytes);

  beforeAll(async () => {
    t = await startApp({ SWEEP_INTERVAL_SECONDS: '0' });
    acme = await createAccount(t, { slug: 'acme' });
    const c = catalog(t, acme);
    appId = (await c.product({ name: 'App', code: 'app' })).id;
    productToken = await c.token(`products/${appId}`);
  });
  afterAll(() => t.close());

  const long = 'a'.repeat(256);
  it.each([
    ['package', 'an encoded slash', ['a%2Fb', '1.0.0', 'f.bin']],
    ['package', 'an encoded dot-dot', ['%2e%2e', '1.0.0', 'f.bin']],
    ['package', 'a dot', ['%2E', '1.0.0', 'f.bin']],
    ['package', 'an encoded backslash', ['a%5Cb', '1.0.0', 'f.bin']],
    ['package', 'a leading space', ['%20tool', '1.0.0', 'f.bin']],
    ['package', 'a trailing space', ['tool%20', '1.0.0', 'f.bin']],
    ['package', 'a 256-character name', [long, '1.0.0', 'f.bin']],
    ['package', 'a plus', ['a%2Bb', '1.0.0', 'f.bin']],
    ['package', 'a UUID-shaped name', ['3f1c2a9e-1b2c-4d5e-8f90-a1b2c3d4e5f6', '1.0.0', 'f.bin']],
    ['version', 'a partial version', ['tool', '1.0', 'f.bin']],
    ['version', 'a v prefix', ['tool', 'v1.0.0', 'f.bin']],
    ['version', 'four numbers', ['tool', '1.0.0.0', 'f.bin']],
    ['version', 'a leading zero', ['tool', '01.0.0', 'f.bin']],
    ['version', 'a leading space', ['tool', '%201.0.0', 'f.bin']],
    ['version', 'a trailing space', ['tool', '1.0.0%20', 'f.bin']],
    ['version', 'an encoded dot-dot', ['tool', '%2e%2e', 'f.bin']],
    ['version', 'an encoded slash', ['tool', '1.0.0%2F1', 'f.bin']],
    ['version', 'a word', ['tool', 'latest', 'f.bin']],
    ['version', 'a pre-release that names no channel', ['tool', '1.0.0-preview.1', 'f.bin']],
    ['filename', 'an encoded slash', ['tool', '1.0.0', 'a%2Fb.bin']],
    ['filename', 'an encoded dot-dot', ['tool', '1.0.0', '%2e%2e']],
    ['filename', 'a dot', ['tool', '1.0.0', '.']],
    ['filename', 'an encoded backslash', ['tool', '1.0.0', 'a%5Cb.bin']],
    ['filename', 'a leading space', ['tool', '1.0.0', '%20f.bin']],
    ['filename', 'a trailing space', ['tool', '1.0.0', 'f.bin%20']],
    ['filename', 'a 256-character name', ['tool', '1.0.0', long]],
    ['filename', 'a non-ASCII letter', ['tool', '1.0.0', 'caf%C3%A9.bin']],
  ])('refuses a %s with %s: 400 naming it, nothing written', async (parameter, _, segments) => {
    const path = url(...segments);
    const before = await footprint(t);
    const res = await put(`${path}?product=app`, 'bytes').expect(400);
    expect(res.body.errors[0].source).toEqual({ parameter });
    expect(await footprint(t)).toEqual(before);
    const read = await admin().get(path).expect(400);
    expect(read.body.errors[0].source).toEqual({ parameter });
  });

  it.each([[['a%00b', '1.0.0', 'f.bin']], [['tool', '1.0.0%00', 'f.bin']], [['tool', '1.0.0', 'f%00.bin']]])('refuses a NUL in %j before routing: 400, nothing written', async (segments) => {
    const path = url(...segments);
    const before = await footprint(t);
    const res = await put(`${path}?product=app`, 'bytes').expect(400);
    expect(res.body.errors[0]).toMatchObject({ code: 'URL_INVALID', detail: expect.stringContaining('NUL') });
    expect(await footprint(t)).toEqual(before);
  });

  it('accepts the whole alphabet: 255 characters, "+" in filenames, build metadata in versions', async () => {
    const name = `A-z_0.9${'x'.repeat(248)}`;
    await put(url(name, '1.0.0-rc.1+build.7', 'tool_1.0+linux-x86_64.tar.gz') + '?product=app', 'ok').expect(201);
    await admin().get(url(name, '1.0.0-rc.1+build.7', 'tool_1.0+linux-x86_64.tar.gz')).expect(200);
  });

  it('refuses unknown query parameters, and a new package without a product', async () => {
    const before = await footprint(t);
    expect((await put(url('orphan', '1.0.0', 'f.bin') + '?release=1', 'x').expect(400)).body.errors[0].source).toEqual({ parameter: 'release' });
    expect((await put(url('orphan', '1.0.0', 'f.bin'), 'x').expect(400)).body.errors[0]).toMatchObject({ code: 'PRODUCT_MISSING', source: { parameter: 'product' } });
    await put(url('orphan', '1.0.0', 'f.bin') + '?product=nope', 'x').expect(404);
    expect(await footprint(t)).toEqual(before);
    await put(url('orphan', '1.0.0', 'f.bin') + `?product=${appId}`, 'x').expect(201);
    await t.as(bearer(productToken)).put(url('by-token', '1.0.0', 'f.bin')).send('x').expect(201);
  });
});
