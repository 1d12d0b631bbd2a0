import { CreateEntitlementAttributes } from '../licensing/dto/licensing-attributes.js';
import { CreateLicenseAttributes, CreatePolicyAttributes, UpdatePolicyAttributes } from '../licensing/dto/licensing-attributes.js';
import { CreatePackageAttributes } from '../products/dto/package-attributes.js';
import { CreateProductAttributes, UpdateProductAttributes } from '../products/dto/product-attributes.js';
import { CreateReleaseAttributes } from '../releases/dto/release-attributes.js';
import { CreateArtifactAttributes } from '../artifacts/dto/artifact-attributes.js';
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
