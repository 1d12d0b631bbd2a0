import { basic, bearer, createAccount, startApp, type TestAccount, type TestApp } from '../support/app.js';
import { Token } from '../../src/database/entities/token.entity.js';

describe('credential resolution and the failure table (SPEC §1.5)', () => {
  let t: TestApp;
  let acme: TestAccount;
  let other: TestAccount;

  beforeAll(async () => {
    t = await startApp();
    acme = await createAccount(t, { slug: 'acme' });
    other = await createAccount(t, { slug: 'other' });
  });
  afterAll(() => t.close());

  const me = (authorization: string | null, account = acme) => t.as(authorization).get(`${account.base}/me`);

  describe('every scheme authenticates', () => {
    it.each([
      ['Authorization: Bearer <token>', () => bearer(acme.adminToken)],
      ['Basic token:<token>', () => basic('token', acme.adminToken)],
      ['Basic __token__:<token>', () => basic('__token__', acme.adminToken)],
      ['Basic <token>: (empty password, as in https://<token>@host)', () => basic(acme.adminToken, '')],
      ['Basic <name>:<token> (GitLab style)', () => basic('deploy-bot', acme.adminToken)],
    ])('%s', async (_, header) => {
      const res = await me(header()).expect(200);
      expect(res.body.data).toMatchObject({ type: 'users', id: acme.adminUserId, attributes: { role: 'admin' } });
    });

    it('accepts the account slug or its id in the path', async () => {
      await t.as(bearer(acme.adminToken)).get(`/v1/accounts/acme/me`).expect(200);
      await t.as(bearer(acme.adminToken)).get(`/v1/accounts/${acme.id}/me`).expect(200);
    });
  });

  describe('failures', () => {
    const expectError = (status: number, code: string) => (res: { status: number; body: { errors: { code: string }[] } }) => {
      expect(res.status).toBe(status);
      expect(res.body.errors[0].code).toBe(code);
    };

    it('no credentials on a closed route → 401 TOKEN_MISSING with a Bearer challenge', async () => {
      const res = await me(null);
      expectError(401, 'TOKEN_MISSING')(res);
      expect(res.headers['www-authenticate']).toBe('Bearer realm="keyshelf"');
    });

    it('unknown token → 401 TOKEN_INVALID', async () => {
      expectError(401, 'TOKEN_INVALID')(await me(bearer('admin_doesnotexist')));
    });

    it("another account's token → 401 TOKEN_INVALID, and nothing of that account leaks", async () => {
      const res = await me(bearer(other.adminToken));
      expectError(401, 'TOKEN_INVALID')(res);
      expect(JSON.stringify(res.body)).not.toContain(other.adminUserId);
    });

    it('expired token → 401 TOKEN_EXPIRED', async () => {
      const created = await t.as(bearer(acme.adminToken)).post(`${acme.base}/tokens`).expect(201);
      await t.db.getRepository(Token).update({ id: created.body.data.id }, { expiry: new Date(Date.now() - 1000) });
      expectError(401, 'TOKEN_EXPIRED')(await me(bearer(created.body.data.attributes.token)));
    });

    it('revoked token → 401 TOKEN_INVALID on the very next request', async () => {
      const created = await t.as(bearer(acme.adminToken)).post(`${acme.base}/tokens`).expect(201);
      const raw = created.body.data.attributes.token;
      await me(bearer(raw)).expect(200);
      await t.as(bearer(acme.adminToken)).delete(`${acme.base}/tokens/${created.body.data.id}`).expect(204);
      expectError(401, 'TOKEN_INVALID')(await me(bearer(raw)));
    });

    it.each([
      ['License <key>', 'License NOT-A-KEY'],
      ['Basic license:<key>', basic('license', 'NOT-A-KEY')],
    ])('unknown license key by %s → 401 LICENSE_INVALID', async (_, header) => {
      expectError(401, 'LICENSE_INVALID')(await me(header));
    });

    it('email:password anywhere but POST /tokens → 401', async () => {
      expectError(401, 'TOKEN_INVALID')(await me(basic('admin@keyshelf.local', 'whatever-password')));
    });

    it('an unsupported or malformed Authorization header → 401', async () => {
      expectError(401, 'TOKEN_INVALID')(await me('Digest username="x"'));
      expectError(401, 'TOKEN_INVALID')(await me('Basic %%%'));
    });

    it('an unknown account → 404', async () => {
      const res = await t.as(bearer(acme.adminToken)).get('/v1/accounts/no-such-account/me');
      expectError(404, 'NOT_FOUND')(res);
    });
  });

  describe('logs never contain a credential', () => {
    it('the request log line has no header, token or query', async () => {
      const lines: string[] = [];
      const logger = (await import('../../src/common/logger.js')).requestLogMiddleware({
        info: (line: unknown) => lines.push(JSON.stringify(line)),
        error: (line: unknown) => lines.push(JSON.stringify(line)),
      } as never);
      const { EventEmitter } = await import('node:events');
      const res = Object.assign(new EventEmitter(), { statusCode: 200 });
      const req = {
        method: 'GET',
        path: `${acme.base}/me`,
        route: { path: '/v1/accounts/:account/me' },
        headers: { authorization: bearer(acme.adminToken) },
        keyshelf: { requestId: 'req-12345678', startedAt: process.hrtime.bigint() },
      };
      logger(req as never, res as never, () => undefined);
      res.emit('finish');
      expect(lines).toHaveLength(1);
      expect(lines[0]).not.toContain(acme.adminToken);
      expect(JSON.parse(lines[0])).toMatchObject({ requestId: 'req-12345678', method: 'GET', status: 200 });
    });
  });
});
