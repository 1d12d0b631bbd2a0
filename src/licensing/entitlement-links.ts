import { Injectable, type PipeTransform } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../auth/decorators.js';
import { Errors } from '../common/errors.js';
import { isUuid } from '../common/ids.js';
import { Entitlement } from '../database/entities/entitlement.entity.js';

/** `{"data":[{"type":"entitlements","id":…}]}` → the ids or codes named (SPEC §3.6). */
export class EntitlementLinkagePipe implements PipeTransform<unknown, string[]> {
  transform(body: unknown): string[] {
    const data = (body as { data?: unknown } | undefined)?.data;
    if (!Array.isArray(data) || data.length === 0 || data.length > 100) {
      throw Errors.badRequest('DATA_INVALID', 'data must be a list of 1 to 100 entitlement linkages', { pointer: '/data' });
    }
    return data.map((item: unknown, index) => {
      const linkage = item as { type?: unknown; id?: unknown };
      if (typeof item !== 'object' || item === null || linkage.type !== 'entitlements' || typeof linkage.id !== 'string' || linkage.id === '') {
        throw Errors.badRequest('DATA_INVALID', 'each item must be {"type":"entitlements","id":…}', { pointer: `/data/${index}` });
      }
      return linkage.id;
    });
  }
}

/** The answer to attaching an entitlement twice, also when two requests race (SPEC §3.4, §3.6). */
export const entitlementTaken = () => Errors.unprocessable('ENTITLEMENT_TAKEN', 'that entitlement is already attached', { pointer: '/data' });

type LinkTable = { table: 'policy_entitlements'; owner: 'policy_id' } | { table: 'license_entitlements'; owner: 'license_id' };
export const POLICY_LINKS: LinkTable = { table: 'policy_entitlements', owner: 'policy_id' };
export const LICENSE_LINKS: LinkTable = { table: 'license_entitlements', owner: 'license_id' };

/** Attaching and detaching entitlements to policies and licenses, one rule for both. */
@Injectable()
export class EntitlementLinks {
  async resolve(manager: EntityManager, ctx: RequestContext, refs: string[]): Promise<Entitlement[]> {
    return Promise.all(
      refs.map(async (ref, index) => {
        const qb = manager.getRepository(Entitlement).createQueryBuilder('e').where('e.account_id = :account', { account: ctx.account.id });
        if (isUuid(ref)) qb.andWhere('e.id = :ref', { ref });
        else qb.andWhere('lower(e.code) = lower(:ref)', { ref });
        const entitlement = await qb.getOne();
        if (!entitlement) {
          throw Errors.unprocessable('ENTITLEMENT_NOT_FOUND', `entitlement ${ref} does not exist`, { pointer: `/data/${index}/id` });
        }
        return entitlement;
      }),
    );
  }

  async attach(manager: EntityManager, ctx: RequestContext, link: LinkTable, ownerId: string, refs: string[]): Promise<Entitlement[]> {
    const entitlements = await this.resolve(manager, ctx, refs);
    const attached = await this.attachedIds(manager, link, ownerId);
    for (const [index, entitlement] of entitlements.entries()) {
      if (attached.has(entitlement.id) || entitlements.findIndex((e) => e.id === entitlement.id) !== index) {
        throw Errors.unprocessable('ENTITLEMENT_TAKEN', `entitlement ${entitlement.code} is already attached`, { pointer: `/data/${index}/id` });
      }
    }
    for (const entitlement of entitlements) {
      await manager.query(`INSERT INTO ${link.table} (${link.owner}, entitlement_id, account_id) VALUES ($1, $2, $3)`, [
        ownerId,
        entitlement.id,
        ctx.account.id,
      ]);
    }
    return entitlements;
  }

  async detach(manager: EntityManager, ctx: RequestContext, link: LinkTable, ownerId: string, refs: string[]): Promise<void> {
    const entitlements = await this.resolve(manager, ctx, refs);
    const attached = await this.attachedIds(manager, link, ownerId);
    for (const [index, entitlement] of entitlements.entries()) {
      if (!attached.has(entitlement.id)) {
        throw Errors.unprocessable('ENTITLEMENT_NOT_FOUND', `entitlement ${entitlement.code} is not attached`, { pointer: `/data/${index}/id` });
      }
    }
    await manager.query(`DELETE FROM ${link.table} WHERE ${link.owner} = $1 AND entitlement_id = ANY($2::uuid[])`, [
      ownerId,
      entitlements.map((e) => e.id),
    ]);
  }

  private async attachedIds(manager: EntityManager, link: LinkTable, ownerId: string): Promise<Set<string>> {
    const rows: { entitlement_id: string }[] = await manager.query(`SELECT entitlement_id FROM ${link.table} WHERE ${link.owner} = $1`, [ownerId]);
    return new Set(rows.map((row) => row.entitlement_id));
  }
}
