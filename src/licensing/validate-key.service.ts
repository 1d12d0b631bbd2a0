import { Inject, Injectable, type PipeTransform } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { isExpired } from '../auth/license-check.js';
import type { RequestContext } from '../auth/decorators.js';
import { keyDigest, SECRET_KEY } from '../auth/secrets.js';
import { Errors } from '../common/errors.js';
import { SerialCache } from '../database/change-serials.js';
import { isUuid } from '../common/ids.js';
import { isPlainObject, onlyMembers } from '../common/json-members.js';
import { MAX_LIST_VALUES } from '../common/list-query.js';
import { License } from '../database/entities/license.entity.js';
import { Policy } from '../database/entities/policy.entity.js';
import { boolean, oneOf, string, type Schema } from '../openapi/schema.js';

const VALIDATION_CODES = ['VALID', 'NOT_FOUND', 'SUSPENDED', 'EXPIRED', 'ENTITLEMENTS_MISSING', 'PRODUCT_SCOPE_MISMATCH'] as const;
export type ValidationCode = (typeof VALIDATION_CODES)[number];

/** The answer's `meta`, for the OpenAPI document. */
export const VALIDATION_RESULT_SCHEMA: Schema = {
  type: 'object',
  required: ['valid', 'code', 'detail'],
  additionalProperties: false,
  properties: { valid: boolean({ examples: [true] }), code: oneOf(VALIDATION_CODES), detail: string({ examples: ['the license is valid'] }) },
};

export interface ValidationResult {
  valid: boolean;
  code: ValidationCode;
  detail: string;
}

export interface ValidationRequest {
  key: string;
  scope: { product?: string; entitlements?: string[] };
}

/** Reads the validate-key body; its schema goes into the OpenAPI document. */
export class ValidationRequestPipe implements PipeTransform<unknown, ValidationRequest> {
  transform(body: unknown): ValidationRequest {
    return parseValidationRequest(body);
  }

  requestSchema(): Schema {
    const scope = {
      type: 'object',
      additionalProperties: false,
      properties: {
        product: string({ description: 'A product id or code the license must be of', examples: ['app'] }),
        entitlements: { type: 'array', maxItems: MAX_LIST_VALUES, items: string(), description: 'Entitlement codes the license must hold', examples: [['pro']] },
      },
    };
    const meta = { type: 'object', required: ['key'], additionalProperties: false, properties: { key: string({ minLength: 1, examples: ['K3Y-0000-0000-0000'] }), scope } };
    return { type: 'object', required: ['meta'], additionalProperties: false, properties: { meta } };
  }
}

/** `{"meta":{"key":…,"scope":{"product":…,"entitlements":[…]}}}` (SPEC §3.6). */
export function parseValidationRequest(body: unknown): ValidationRequest {
  const meta = isPlainObject(body) ? body.meta : undefined;
  if (!isPlainObject(meta) || typeof meta.key !== 'string' || meta.key === '') {
    throw Errors.badRequest('KEY_INVALID', 'meta.key must be the license key', { pointer: '/meta/key' });
  }
  onlyMembers(body as Record<string, unknown>, ['meta'], '');
  onlyMembers(meta, ['key', 'scope'], '/meta');
  const scope = (meta.scope ?? {}) as Record<string, unknown>;
  if (typeof scope !== 'object' || scope === null || Array.isArray(scope)) {
    throw Errors.badRequest('SCOPE_INVALID', 'meta.scope must be an object', { pointer: '/meta/scope' });
  }
  for (const name of Object.keys(scope)) {
    if (name !== 'product' && name !== 'entitlements') {
      throw Errors.badRequest('SCOPE_INVALID', `meta.scope.${name} is not supported`, { pointer: `/meta/scope/${name}` });
    }
  }
  if (scope.product !== undefined && typeof scope.product !== 'string') {
    throw Errors.badRequest('SCOPE_INVALID', 'meta.scope.product must be a product id or code', { pointer: '/meta/scope/product' });
  }
  const entitlements = scope.entitlements;
  const codes = Array.isArray(entitlements) && entitlements.every((code) => typeof code === 'string') && entitlements.length <= MAX_LIST_VALUES;
  if (entitlements !== undefined && !codes) {
    throw Errors.badRequest('SCOPE_INVALID', `meta.scope.entitlements must be a list of at most ${MAX_LIST_VALUES} entitlement codes`, {
      pointer: '/meta/scope/entitlements',
    });
  }
  return { key: meta.key, scope: { product: scope.product as string | undefined, entitlements: entitlements as string[] | undefined } };
}

/**
 * Answers whether a key is valid for a scope, and nothing more: no license id, no owner, no
 * attributes — only valid, code and detail.
 */
/** What a validation depends on besides the clock; kept under the account's `auth` serial. */
interface KeyFacts {
  license: License | null;
  policy: Policy | null;
  productMatches: boolean;
  holdsAll: boolean;
}

@Injectable()
export class ValidateKeyService {
  /**
   * Installed software validates the same key again and again: the facts are kept per key and
   * scope under the account's `auth` change serial, which every write to licenses, policies,
   * products and entitlements moves on every instance; expiry is judged on each request.
   */
  private readonly facts = new SerialCache<KeyFacts>(10_000);

  constructor(
    private readonly db: DataSource,
    @Inject(SECRET_KEY) private readonly secret: string,
  ) {}

  async validate(ctx: RequestContext, request: ValidationRequest): Promise<ValidationResult> {
    const digest = keyDigest(this.secret, request.key);
    const key = `${ctx.account.id}|${digest}|${JSON.stringify(request.scope)}`;
    const serial = ctx.serials ? String(ctx.serials.auth) : null;
    const facts = (serial !== null && this.facts.get(key, serial)) || (await this.load(ctx, digest, request));
    if (serial !== null) this.facts.set(key, serial, facts);
    return verdict(facts);
  }

  private async load(ctx: RequestContext, digest: string, request: ValidationRequest): Promise<KeyFacts> {
    const license = await this.db.getRepository(License).findOneBy({ accountId: ctx.account.id, keyDigest: digest });
    if (!license) return { license: null, policy: null, productMatches: false, holdsAll: false };
    const policy = await this.db.getRepository(Policy).findOneByOrFail({ id: license.policyId });
    return {
      license,
      policy,
      productMatches: request.scope.product === undefined || (await this.productMatches(license, request.scope.product)),
      holdsAll: !request.scope.entitlements?.length || (await this.holdsAll(license, request.scope.entitlements)),
    };
  }

  private async productMatches(license: License, product: string): Promise<boolean> {
    const rows: unknown[] = await this.db.query(
      `SELECT 1 FROM products WHERE id = $1 AND (${isUuid(product) ? 'id = $2::uuid' : 'lower(code) = lower($2)'})`,
      [license.productId, product],
    );
    return rows.length > 0;
  }

  private async holdsAll(license: License, codes: string[]): Promise<boolean> {
    const wanted = [...new Set(codes.map((code) => code.toLowerCase()))];
    const rows: { n: number }[] = await this.db.query(
      `SELECT count(DISTINCT lower(e.code))::int AS n FROM entitlements e
        WHERE e.account_id = $1 AND lower(e.code) = ANY($2::text[]) AND e.id IN (
          SELECT entitlement_id FROM license_entitlements WHERE license_id = $3
          UNION SELECT entitlement_id FROM policy_entitlements WHERE policy_id = $4)`,
      [license.accountId, wanted, license.id, license.policyId],
    );
    return rows[0].n === wanted.length;
  }
}

function verdict({ license, policy, productMatches, holdsAll }: KeyFacts, now = new Date()): ValidationResult {
  if (!license || !policy) return { valid: false, code: 'NOT_FOUND', detail: 'The license key does not exist' };
  if (license.suspended) return { valid: false, code: 'SUSPENDED', detail: 'The license is suspended' };
  const expired = isExpired(license, now);
  // Under MAINTAIN_ACCESS and ALLOW_ACCESS an expired license stays valid (Keygen's rule).
  const expiredIsValid = policy.expirationStrategy === 'MAINTAIN_ACCESS' || policy.expirationStrategy === 'ALLOW_ACCESS';
  if (expired && !expiredIsValid) return { valid: false, code: 'EXPIRED', detail: 'The license has expired' };
  if (!productMatches) return { valid: false, code: 'PRODUCT_SCOPE_MISMATCH', detail: 'The license does not belong to that product' };
  if (!holdsAll) return { valid: false, code: 'ENTITLEMENTS_MISSING', detail: 'The license lacks one or more of those entitlements' };
  if (expired) return { valid: true, code: 'EXPIRED', detail: 'The license has expired, and its policy keeps it valid' };
  return { valid: true, code: 'VALID', detail: 'The license is valid' };
}
