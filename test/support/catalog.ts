import type { TestAccount, TestApp } from './app.js';
import { basic, bearer, doc } from './app.js';

/** Fixtures built through the API, as an admin would. */
export function catalog(t: TestApp, account: TestAccount) {
  const admin = () => t.as(bearer(account.adminToken));
  const rel = (type: string, id: string) => ({ data: { type, id } });
  const created = async (path: string, body: object): Promise<{ id: string; attributes: Record<string, unknown> }> => {
    const res = await admin().post(`${account.base}/${path}`).send(body);
    if (res.status !== 201) throw new Error(`POST ${path} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data;
  };
  return {
    product: (attributes: Record<string, unknown> = {}) => created('products', doc('products', { name: 'Product', ...attributes })),
    package: (productId: string, attributes: Record<string, unknown>) =>
      created('packages', doc('packages', { name: 'Package', ...attributes }, { product: rel('products', productId) })),
    entitlement: (code: string) => created('entitlements', doc('entitlements', { name: code, code })),
    policy: (productId: string, attributes: Record<string, unknown> = {}) =>
      created('policies', doc('policies', { name: 'Policy', ...attributes }, { product: rel('products', productId) })),
    license: (policyId: string, attributes: Record<string, unknown> = {}, userId?: string) =>
      created(
        'licenses',
        doc('licenses', attributes, { policy: rel('policies', policyId), ...(userId ? { user: rel('users', userId) } : {}) }),
      ),
    attach: async (path: string, entitlementIds: string[]) => {
      const res = await admin()
        .post(`${account.base}/${path}/entitlements`)
        .send({ data: entitlementIds.map((id) => ({ type: 'entitlements', id })) });
      if (res.status !== 200) throw new Error(`attach → ${res.status} ${JSON.stringify(res.body)}`);
    },
    token: async (path: string): Promise<string> => (await created(`${path}/tokens`, {})).attributes.token as string,
  };
}

/** A user of the given role and a token obtained with their password, as that user would. */
export async function userWithToken(t: TestApp, account: TestAccount, email: string, role: string): Promise<{ id: string; header: string }> {
  const created = await t.as(bearer(account.adminToken)).post(`${account.base}/users`).send(doc('users', { email, password: 'password-1', role }));
  if (created.status !== 201) throw new Error(`POST users → ${created.status} ${JSON.stringify(created.body)}`);
  const token = await t.as(basic(email, 'password-1')).post(`${account.base}/tokens`);
  if (token.status !== 201) throw new Error(`POST tokens → ${token.status}`);
  return { id: created.body.data.id, header: bearer(token.body.data.attributes.token) };
}
