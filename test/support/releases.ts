import type { TestAccount, TestApp } from './app.js';
import { bearer, doc } from './app.js';
import { putBytes } from './upload.js';

/** The channel a valid version belongs to: its first pre-release identifier, else stable. */
export function channelOf(version: string): string {
  const core = version.split('+')[0];
  const dash = core.indexOf('-');
  return dash === -1 ? 'stable' : core.slice(dash + 1).split('.')[0];
}

const rel = (type: string, id: string) => ({ data: { type, id } });

/** Releases and artifacts built through the API as an admin: PUBLISHED unless told otherwise. */
export function releaseFixtures(t: TestApp, account: TestAccount) {
  const admin = () => t.as(bearer(account.adminToken));
  const release = async (productId: string, version: string, attributes: Record<string, unknown> = {}, packageId?: string): Promise<string> => {
    const body = doc(
      'releases',
      { version, channel: channelOf(version), status: 'PUBLISHED', ...attributes },
      { product: rel('products', productId), ...(packageId ? { package: rel('packages', packageId) } : {}) },
    );
    const res = await admin().post(`${account.base}/releases`).send(body);
    if (res.status !== 201) throw new Error(`POST /releases ${version} → ${res.status} ${JSON.stringify(res.body)}`);
    return res.body.data.id;
  };
  const yank = async (releaseId: string) => {
    await admin().post(`${account.base}/releases/${releaseId}/actions/yank`).expect(200);
  };
  /** Creates an artifact and, when bytes are given, uploads them; returns its id. */
  const artifact = async (releaseId: string, attributes: Record<string, unknown>, bytes?: Buffer): Promise<string> => {
    const res = await admin().post(`${account.base}/artifacts`).set('Prefer', 'no-redirect').send(doc('artifacts', attributes, { release: rel('releases', releaseId) }));
    if (res.status !== 200) throw new Error(`POST /artifacts → ${res.status} ${JSON.stringify(res.body)}`);
    if (bytes) await putBytes(t, res.headers.location as string, bytes).expect(200);
    return res.body.data.id;
  };
  return { release, yank, artifact };
}
