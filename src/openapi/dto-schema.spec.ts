import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { CreateArtifactAttributes } from '../artifacts/dto/artifact-attributes.js';
import { ResourceBodyPipe, type ResourceBodyRules } from '../common/resource-body.js';
import { CreateLicenseAttributes, UpdatePolicyAttributes } from '../licensing/dto/licensing-attributes.js';
import { CreateProductAttributes } from '../products/dto/product-attributes.js';
import { CreateReleaseAttributes } from '../releases/dto/release-attributes.js';
import { CreateUserAttributes } from '../users/dto/user-attributes.js';
import { resourceRequestSchema } from './dto-schema.js';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
const ajv = addFormats(new Ajv2020({ strict: false }));

/**
 * The request schemas are derived from the DTOs the body pipe validates with: for each sample,
 * the schema accepts a body exactly when the pipe does (a rule the schema cannot say, such as a
 * semantic version, is left to the service and not sampled here).
 */
describe('request schemas agree with the body pipes', () => {
  const cases: [ResourceBodyRules<object>, Record<string, unknown>, boolean][] = [];
  const products: ResourceBodyRules<object> = { type: 'products', attributes: CreateProductAttributes };
  const releases: ResourceBodyRules<object> = {
    type: 'releases',
    attributes: CreateReleaseAttributes,
    relationships: { product: { type: 'products', required: true }, package: { type: 'packages' } },
  };
  const policies: ResourceBodyRules<object> = { type: 'policies', attributes: UpdatePolicyAttributes, purpose: 'update' };
  const licenses: ResourceBodyRules<object> = { type: 'licenses', attributes: CreateLicenseAttributes, relationships: { policy: { type: 'policies', required: true } } };
  const users: ResourceBodyRules<object> = { type: 'users', attributes: CreateUserAttributes };
  const artifacts: ResourceBodyRules<object> = { type: 'artifacts', attributes: CreateArtifactAttributes, relationships: { release: { type: 'releases', required: true } } };
  const product = { product: { data: { type: 'products', id: 'app' } } };
  const policy = { policy: { data: { type: 'policies', id: 'p' } } };
  const release = { release: { data: { type: 'releases', id: '1.0.0' } } };
  const body = (type: string, attributes: unknown, relationships?: unknown) => ({ data: { type, attributes, ...(relationships ? { relationships } : {}) } });
  cases.push(
    [products, body('products', { name: 'App' }), true],
    [products, body('products', {}), false],
    [products, body('products', { name: null }), false],
    [products, body('products', { name: 'App', code: null, url: null }), true],
    [products, body('products', { name: 'App', distributionStrategy: 'OPEN' }), true],
    [products, body('products', { name: 'App', distributionStrategy: 'NOPE' }), false],
    [products, body('products', { name: 'App', distributionStrategy: null }), false],
    [products, body('products', { name: 'App', metadata: 'x' }), false],
    [products, body('products', { name: 'App', status: 'x' }), false],
    [products, body('releases', { name: 'App' }), false],
    [releases, body('releases', { version: '1.0.0', channel: 'stable' }, product), true],
    [releases, body('releases', { version: '1.0.0', channel: 'stable' }), false],
    [releases, body('releases', { version: '1.0.0', channel: 'stable', status: 'YANKED' }, product), false],
    [releases, body('releases', { version: '1.0.0', channel: 'stable', backdated: 'yesterday' }, product), false],
    [releases, body('releases', { version: '1.0.0', channel: 'stable', backdated: null }, product), true],
    [releases, body('releases', { version: '1.0.0', channel: 'stable' }, { ...product, package: { data: null } }), true],
    [releases, body('releases', { version: '1.0.0', channel: 'stable' }, { ...product, product2: {} }), false],
    [policies, body('policies', {}), true],
    [policies, body('policies', { duration: null }), true],
    [policies, body('policies', { duration: 0 }), false],
    [policies, body('policies', { duration: 1.5 }), false],
    [policies, body('policies', { name: null }), false],
    [licenses, body('licenses', {}, policy), true],
    [licenses, body('licenses', { key: 'short' }, policy), false],
    [licenses, body('licenses', { suspended: 'yes' }, policy), false],
    [users, body('users', { email: 'a@b.test', password: 'long enough' }), true],
    [users, body('users', { email: 'a@b.test', password: 'short' }), false],
    [users, body('users', { email: 'a@b.test', role: 'owner' }), false],
    [artifacts, body('artifacts', { filename: 'a.tar.gz', filesize: -1 }, release), false],
    [artifacts, body('artifacts', { filename: 'a.tar.gz', filesize: 10, signature: null }, release), true],
  );

  it.each(cases.map(([rules, sample, accepted], index) => [index, rules.type, JSON.stringify(sample), accepted, rules, sample] as const))(
    '#%d %s %s → accepted: %s',
    async (_index, _type, _json, accepted, rules, sample) => {
      const schemaAccepts = ajv.validate(resourceRequestSchema(rules), sample);
      const pipeAccepts = await new ResourceBodyPipe(rules).transform(sample).then(
        () => true,
        () => false,
      );
      expect({ schema: schemaAccepts, pipe: pipeAccepts }).toEqual({ schema: accepted, pipe: accepted });
    },
  );
});
