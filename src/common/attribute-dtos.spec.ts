import { CreateArtifactAttributes, UpdateArtifactAttributes } from '../artifacts/dto/artifact-attributes.js';
import {
  CreateEntitlementAttributes,
  CreateLicenseAttributes,
  CreatePolicyAttributes,
  UpdateEntitlementAttributes,
  UpdateLicenseAttributes,
  UpdatePolicyAttributes,
} from '../licensing/dto/licensing-attributes.js';
import { CreatePackageAttributes, UpdatePackageAttributes } from '../products/dto/package-attributes.js';
import { CreateProductAttributes, UpdateProductAttributes } from '../products/dto/product-attributes.js';
import { CreateReleaseAttributes, UpdateReleaseAttributes } from '../releases/dto/release-attributes.js';
import { UpdateUserAttributes } from '../users/dto/user-attributes.js';
import { ResourceBodyPipe } from './resource-body.js';

/** Create DTOs share fields with update DTOs; a required field must stay required. */
describe('required attributes on create', () => {
  it.each([
    ['products', 'NAME_MISSING', CreateProductAttributes],
    ['policies', 'NAME_MISSING', CreatePolicyAttributes],
    ['entitlements', 'NAME_MISSING', CreateEntitlementAttributes],
    ['packages', 'NAME_MISSING', CreatePackageAttributes],
    ['releases', 'VERSION_MISSING', CreateReleaseAttributes],
    ['artifacts', 'FILENAME_MISSING', CreateArtifactAttributes],
  ])('%s without its required attributes → %s', async (type, code, attributes) => {
    const pipe = new ResourceBodyPipe({ type, attributes: attributes as new () => object });
    await expect(pipe.transform({ data: { type, attributes: {} } })).rejects.toMatchObject({ status: 422, code });
  });

  it('licenses need no attributes', async () => {
    const pipe = new ResourceBodyPipe({ type: 'licenses', attributes: CreateLicenseAttributes });
    await expect(pipe.transform({ data: { type: 'licenses', attributes: {} } })).resolves.toMatchObject({ attributes: {} });
  });

  it.each([
    ['products', UpdateProductAttributes],
    ['policies', UpdatePolicyAttributes],
  ])('%s updates may leave the name out', async (type, attributes) => {
    const pipe = new ResourceBodyPipe({ type, attributes: attributes as new () => object });
    await expect(pipe.transform({ data: { type, attributes: {} } })).resolves.toMatchObject({ attributes: {} });
  });
});

/** NOT NULL columns: an attribute may be left out, but null is refused before it reaches SQL. */
describe('null attributes', () => {
  const refuses: [string, string, new () => object][] = [
    ['products', 'name', UpdateProductAttributes],
    ['products', 'distributionStrategy', UpdateProductAttributes],
    ['products', 'metadata', UpdateProductAttributes],
    ['policies', 'expirationStrategy', UpdatePolicyAttributes],
    ['policies', 'authenticationStrategy', UpdatePolicyAttributes],
    ['policies', 'metadata', UpdatePolicyAttributes],
    ['policies', 'name', UpdatePolicyAttributes],
    ['releases', 'metadata', UpdateReleaseAttributes],
    ['artifacts', 'metadata', UpdateArtifactAttributes],
    ['packages', 'key', UpdatePackageAttributes],
    ['entitlements', 'code', UpdateEntitlementAttributes],
    ['licenses', 'suspended', UpdateLicenseAttributes],
    ['users', 'role', UpdateUserAttributes],
    ['users', 'email', UpdateUserAttributes],
  ];
  it.each(refuses)('%s.%s: null is refused', async (type, attribute, attributes) => {
    const pipe = new ResourceBodyPipe({ type, attributes });
    await expect(pipe.transform({ data: { type, attributes: { [attribute]: null } } })).rejects.toMatchObject({
      source: { pointer: `/data/attributes/${attribute}` },
    });
  });

  const accepts: [string, string, new () => object][] = [
    ['products', 'code', UpdateProductAttributes],
    ['products', 'url', UpdateProductAttributes],
    ['policies', 'duration', UpdatePolicyAttributes],
    ['releases', 'tag', UpdateReleaseAttributes],
    ['releases', 'backdated', UpdateReleaseAttributes],
    ['artifacts', 'checksum', UpdateArtifactAttributes],
    ['packages', 'engine', UpdatePackageAttributes],
    ['licenses', 'expiry', UpdateLicenseAttributes],
    ['licenses', 'name', UpdateLicenseAttributes],
    ['users', 'name', UpdateUserAttributes],
  ];
  it.each(accepts)('%s.%s: null clears it', async (type, attribute, attributes) => {
    const pipe = new ResourceBodyPipe({ type, attributes });
    await expect(pipe.transform({ data: { type, attributes: { [attribute]: null } } })).resolves.toMatchObject({ attributes: { [attribute]: null } });
  });
});
