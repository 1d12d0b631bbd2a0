import { execFile } from 'node:child_process';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';

const run = promisify(execFile);
const CLIENT = 'test/clients/openapi-client';

/**
 * The document is good enough to write a client against: openapi-typescript generates types
 * from the live /openapi.json, a small admin script written against them type-checks with tsc,
 * and, run against the live server, it creates a product, a policy, a license and a release,
 * uploads an artifact and lists releases with filters (SPEC §8.2).
 */
describe('a client generated from /openapi.json', () => {
  let t: TestApp;
  let account: TestAccount;
  let origin: string;

  beforeAll(async () => {
    t = await startApp();
    await t.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(t.app.getHttpServer().address() as AddressInfo).port}`;
    account = await createAccount(t, { slug: 'generated' });
    await rm(join(CLIENT, 'generated'), { recursive: true, force: true });
    await rm(join(CLIENT, 'dist'), { recursive: true, force: true });
    const document = await (await fetch(`${origin}/openapi.json`)).text();
    await mkdir(join(CLIENT, 'generated'), { recursive: true });
    await writeFile(join(CLIENT, 'generated', 'openapi.json'), document);
    await run(process.execPath, ['node_modules/openapi-typescript/bin/cli.js', join(CLIENT, 'generated', 'openapi.json'), '-o', join(CLIENT, 'generated', 'keyshelf.ts')]);
  }, 180_000);
  afterAll(() => t?.close());

  it('type-checks the admin script against the generated types, and runs it against the server', async () => {
    // Type-check and compile: a document that no longer describes a step fails here.
    await run(process.execPath, ['node_modules/typescript/bin/tsc', '-p', join(CLIENT, 'tsconfig.json')]).catch((error: { stdout: string }) => {
      throw new Error(`the admin script does not type-check against the generated types:\n${error.stdout}`);
    });
    const { stdout } = await run(process.execPath, [join(CLIENT, 'dist', 'admin.js'), `${origin}${account.base}`, account.adminToken]);
    const summary = JSON.parse(stdout);
    expect(summary).toMatchObject({ license: { hasKey: true }, artifact: 'UPLOADED', versions: ['1.0.0'], count: 1 });
    expect(summary.sha256).toMatch(/^[0-9a-f]{64}$/);
  }, 180_000);

  it('fails to type-check a script that the document does not allow', async () => {
    const wrong = join(CLIENT, 'generated', 'wrong.ts');
    await writeFile(
      wrong,
      [
        "import type { paths } from './keyshelf.js';",
        "type Create = paths['/v1/accounts/{account}/releases']['post']['requestBody'];",
        // Constraints were once described as a list of strings: the types refuse that now.
        "type Attach = NonNullable<paths['/v1/accounts/{account}/releases/{id}/constraints']['post']['requestBody']>['content']['application/vnd.api+json'];",
        "export const attach: Attach = ['pro'];",
        "export const create: NonNullable<Create>['content']['application/vnd.api+json'] = { data: { type: 'releases', attributes: { version: '1.0.0' } } };",
        '',
      ].join('\n'),
    );
    const result = await run(process.execPath, ['node_modules/typescript/bin/tsc', '--ignoreConfig', '--noEmit', '--strict', '--module', 'NodeNext', '--moduleResolution', 'NodeNext', '--skipLibCheck', wrong]).then(
      () => ({ stdout: '' }),
      (error: { stdout: string }) => error,
    );
    expect(result.stdout).toMatch(/wrong\.ts\(4,/);
    expect(result.stdout).toMatch(/wrong\.ts\(5,/);
  }, 180_000);
});
