import { Inject, Injectable } from '@nestjs/common';
import { DataSource, type EntityManager, type SelectQueryBuilder } from 'typeorm';
import { LicensingRules, scopeVisibleLicenses } from '../auth/access/licensing.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { generateLicenseKey, keyDigest, SECRET_KEY } from '../auth/secrets.js';
import { attributePointer, Errors, relationshipPointer } from '../common/errors.js';
import { isUuid } from '../common/ids.js';
import { paged, singleFilter, type ListQuery } from '../common/list-query.js';
import { assertSameId, type ResourceBody } from '../common/resource-body.js';
import type { Entitlement } from '../database/entities/entitlement.entity.js';
import { License } from '../database/entities/license.entity.js';
import { Policy } from '../database/entities/policy.entity.js';
import { Product } from '../database/entities/product.entity.js';
import { User } from '../database/entities/user.entity.js';
import { EventsService } from '../events/events.service.js';
import type { CreateTokenAttributes } from '../tokens/dto/token-attributes.js';
import { UsersService } from '../users/users.service.js';
import { TokensService, type IssuedToken } from '../tokens/tokens.service.js';
import type { CreateLicenseAttributes, UpdateLicenseAttributes } from './dto/licensing-attributes.js';
import { EntitlementLinks, entitlementTaken, LICENSE_LINKS } from './entitlement-links.js';
import { deleteFound, forWrite, writeUnique } from '../common/unique.js';
import { EntitlementsService } from './entitlements.service.js';
import { PoliciesService } from './policies.service.js';

export const LICENSE_FILTERS = ['product', 'policy', 'user'] as const;

const keyTaken = () => Errors.unprocessable('KEY_TAKEN', 'key is already taken', attributePointer('key'));

@Injectable()
export class LicensesService {
  constructor(
    private readonly db: DataSource,
    @Inject(SECRET_KEY) private readonly secret: string,
    private readonly events: EventsService,
    private readonly policies: PoliciesService,
    private readonly entitlements: EntitlementsService,
    private readonly links: EntitlementLinks,
    private readonly tokens: TokensService,
    private readonly users: UsersService,
  ) {}

  visibleLicenses(ctx: RequestContext, manager: EntityManager = this.db.manager): SelectQueryBuilder<License> {
    const qb = manager.getRepository(License).createQueryBuilder('lic').where('lic.account_id = :account', { account: ctx.account.id });
    return scopeVisibleLicenses(qb, 'lic', ctx.bearer);
  }

  async list(ctx: RequestContext, query: ListQuery): Promise<[License[], number]> {
    const qb = this.visibleLicenses(ctx);
    const filters = { product: singleFilter(query, 'product'), policy: singleFilter(query, 'policy'), user: singleFilter(query, 'user') };
    if (filters.product !== undefined) {
      qb.innerJoin(Product, 'fp', 'fp.id = lic.product_id').andWhere(
        isUuid(filters.product) ? 'fp.id = :fProduct' : 'lower(fp.code) = lower(:fProduct)',
        { fProduct: filters.product },
      );
    }
    if (filters.policy !== undefined) {
      if (!isUuid(filters.policy)) return [[], 0];
      qb.andWhere('lic.policy_id = :fPolicy', { fPolicy: filters.policy });
    }
    if (filters.user !== undefined) {
      qb.innerJoin(User, 'fu', 'fu.id = lic.user_id').andWhere(isUuid(filters.user) ? 'fu.id = :fUser' : 'lower(fu.email) = lower(:fUser)', {
        fUser: filters.user,
      });
    }
    return paged(qb, 'lic', query).getManyAndCount();
  }

  async find(ctx: RequestContext, id: string, manager?: EntityManager): Promise<License> {
    const license = isUuid(id) ? await forWrite(this.visibleLicenses(ctx, manager), manager, 'lic').andWhere('lic.id = :id', { id }).getOne() : null;
    if (!license) throw Errors.notFound('license');
    return license;
  }

  /** The related user of a visible license (its `relationships.user`), with the users' own access rules; null when it has none. */
  async relatedUser(ctx: RequestContext, id: string): Promise<User | null> {
    const license = await this.find(ctx, id);
    return license.userId ? this.users.find(ctx, license.userId) : null;
  }

  async create(ctx: RequestContext, body: ResourceBody<CreateLicenseAttributes>): Promise<{ license: License; key: string }> {
    const policy = await this.policies.findVisible(ctx, body.relationships.policy!);
    if (!policy) throw Errors.unprocessable('POLICY_NOT_FOUND', 'policy does not exist', relationshipPointer('policy'));
    LicensingRules.assertManage(ctx.bearer, policy.productId, "create this product's licenses");
    const { name, key, expiry, suspended, metadata } = body.attributes;
    const rawKey = key ?? generateLicenseKey();
    const userId = await this.resolveUser(ctx, body.relationships.user);
    const license = await writeUnique(
      this.db,
      async (manager) => {
        const digest = keyDigest(this.secret, rawKey);
        if (await manager.getRepository(License).existsBy({ accountId: ctx.account.id, keyDigest: digest })) throw keyTaken();
        const saved = await manager.getRepository(License).save({
          accountId: ctx.account.id,
          policyId: policy.id,
          productId: policy.productId,
          userId,
          name: name ?? null,
          keyDigest: digest,
          expiry: body.sent.has('expiry') ? parseTimestamp(expiry) : defaultExpiry(policy),
          suspended: suspended ?? false,
          metadata: metadata ?? {},
        });
        await this.events.record(manager, ctx, 'license.created', { type: 'licenses', id: saved.id });
        return saved;
      },
      { licenses_account_key_key: keyTaken },
    );
    return { license, key: rawKey };
  }

  async update(ctx: RequestContext, id: string, body: ResourceBody<UpdateLicenseAttributes>): Promise<License> {
    return this.change(ctx, id, 'license.updated', async (license, _policy, manager) => {
      assertSameId(body, license.id);
      // The owner is looked up only once the bearer may change this license.
      const userId = body.relationships.user !== undefined ? await this.resolveUser(ctx, body.relationships.user, manager) : undefined;
      const { name, expiry, suspended, metadata } = body.attributes;
      if (body.sent.has('name')) license.name = name ?? null;
      if (body.sent.has('expiry')) license.expiry = parseTimestamp(expiry);
      if (suspended !== undefined) license.suspended = suspended;
      if (metadata !== undefined) license.metadata = metadata;
      if (userId !== undefined) license.userId = userId;
    });
  }

  suspend(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.suspended', (license) => {
      license.suspended = true;
    });
  }

  reinstate(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.reinstated', (license) => {
      license.suspended = false;
    });
  }

  /** Extends the expiry by the policy's duration (from now when the license had none). */
  renew(ctx: RequestContext, id: string): Promise<License> {
    return this.change(ctx, id, 'license.renewed', (license, policy) => {
      if (policy.duration === null) {
        throw Errors.unprocessable('DURATION_INVALID', "the license's policy has no duration, so the license cannot be renewed");
      }
      const from = license.expiry?.getTime() ?? Date.now();
      license.expiry = new Date(from + policy.duration * 1000);
    });
  }

  async remove(ctx: RequestContext, id: string): Promise<void> {
    await this.db.transaction(async (manager) => {
      const license = await this.find(ctx, id, manager);
      LicensingRules.assertManage(ctx.bearer, license.productId, 'delete this license');
      await deleteFound(manager, License, license.id, ctx.account.id, 'license');
      await this.events.record(manager, ctx, 'license.deleted', { type: 'licenses', id: license.id });
    });
  }

  /** The effective set: the license's own entitlements ∪ its policy's (SPEC §3.6). */
  async listEntitlements(ctx: RequestContext, id: string, query: ListQuery): Promise<[Entitlement[], number]> {
    const license = await this.find(ctx, id);
    const qb = this.entitlements.visibleEntitlements(ctx).andWhere(
      `e.id IN (SELECT le.entitlement_id FROM license_entitlements le WHERE le.license_id = :license
                UNION SELECT pe.entitlement_id FROM policy_entitlements pe WHERE pe.policy_id = :licensePolicy)`,
      { license: license.id, licensePolicy: license.policyId },
    );
    return paged(qb, 'e', query).getManyAndCount();
  }

  async attach(ctx: RequestContext, id: string, refs: string[]): Promise<Entitlement[]> {
    return writeUnique(this.db, async (manager) => {
      const license = await this.find(ctx, id, manager);
      LicensingRules.assertManage(ctx.bearer, license.productId, "change this license's entitlements");
      const attached = await this.links.attach(manager, ctx, LICENSE_LINKS, license.id, refs);
      await this.events.record(manager, ctx, 'license.entitlements.attached', { type: 'licenses', id: license.id }, { entitlements: attached.map((e) => e.id) });
      return attached;
    }, { license_entitlements_pkey: entitlementTaken });
  }

  async detach(ctx: RequestContext, id: string, refs: string[]): Promise<void> {
    await this.db.transaction(async (manager) => {
      const license = await this.find(ctx, id, manager);
      LicensingRules.assertManage(ctx.bearer, license.productId, "change this license's entitlements");
      await this.links.detach(manager, ctx, LICENSE_LINKS, license.id, refs);
      await this.events.record(manager, ctx, 'license.entitlements.detached', { type: 'licenses', id: license.id }, { entitlements: refs });
    });
  }

  async createToken(ctx: RequestContext, id: string, body: ResourceBody<CreateTokenAttributes>): Promise<IssuedToken> {
    const license = await this.find(ctx, id);
    LicensingRules.assertManage(ctx.bearer, license.productId, 'create tokens for this license');
    const policy = await this.db.getRepository(Policy).findOneByOrFail({ id: license.policyId });
    if (!['TOKEN', 'MIXED'].includes(policy.authenticationStrategy)) {
      throw Errors.unprocessable('TOKEN_NOT_ALLOWED', `the license's policy (authenticationStrategy ${policy.authenticationStrategy}) does not allow license tokens`);
    }
    return this.tokens.issue(ctx, { kind: 'license', licenseId: license.id }, body);
  }

  private async change(
    ctx: RequestContext,
    id: string,
    event: string,
    apply: (license: License, policy: Policy, manager: EntityManager) => void | Promise<void>,
  ): Promise<License> {
    return this.db.transaction(async (manager) => {
      const license = await this.find(ctx, id, manager);
      LicensingRules.assertManage(ctx.bearer, license.productId, 'change this license');
      const policy = await manager.getRepository(Policy).findOneByOrFail({ id: license.policyId });
      await apply(license, policy, manager);
      await manager.getRepository(License).save(license);
      await this.events.record(manager, ctx, event, { type: 'licenses', id: license.id });
      return license;
    });
  }

  private async resolveUser(ctx: RequestContext, ref: string | null | undefined, manager: EntityManager = this.db.manager): Promise<string | null> {
    if (!ref) return null;
    const qb = manager.getRepository(User).createQueryBuilder('u').where('u.account_id = :account', { account: ctx.account.id });
    if (isUuid(ref)) qb.andWhere('u.id = :ref', { ref });
    else qb.andWhere('lower(u.email) = lower(:ref)', { ref });
    const user = await qb.getOne();
    if (!user) throw Errors.unprocessable('USER_NOT_FOUND', 'user does not exist', relationshipPointer('user'));
    return user.id;
  }
}

function defaultExpiry(policy: Policy): Date | null {
  return policy.duration === null ? null : new Date(Date.now() + policy.duration * 1000);
}

function parseTimestamp(value: string | null | undefined): Date | null {
  return value ? new Date(value) : null;
}
