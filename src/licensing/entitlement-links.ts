import { Injectable, type PipeTransform } from '@nestjs/common';
import type { EntityManager } from 'typeorm';
import type { RequestContext } from '../auth/decorators.js';
import { Errors } from '../common/errors.js';
import { dataList } from '../common/json-members.js';
import { isUuid } from '../common/ids.js';
import { Entitlement } from '../database/entities/entitlement.entity.js';
import { linkageList, type Schema } from '../openapi/schema.js';

/** `{"data":[{"type":"entitlements","id":…}]}` → the ids or codes named (SPEC §3.6). */
export class EntitlementLinkagePipe implements PipeTransform<unknown, string[]> {
  transform(body: unknown): string[] {
    return dataList(body, 'entitlements', ['type', 'id']).map((item, index) => {
      if (typeof item.id !== 'string' || item.id === '') {
        throw Errors.badRequest('ID_INVALID', 'each item must be {"type":"entitlements","id":…}', { pointer: `/data/${index}/id` });
      }
      return item.id;
    });
  }

  /** The document this pipe reads, for the OpenAPI document. */
  requestSchema(): Schema {
    return linkageList('entitlements', { description: 'Entitlements by id or code' });
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
  /** The entitlements named by id or code, in the order given, with one query; the first unknown one is a 422. */
  async resolve(manager: EntityManager, ctx: RequestContext, refs: string[]): Promise<Entitlement[]> {
    const found = await manager
      .getRepository(Entitlement)
      .createQueryBuilder('e')
      .where('e.account_id = :account', { account: ctx.account.id })
      .andWhere('(e.id = ANY(:ids::uuid[]) OR lower(e.code) = ANY(:codes::text[]))', {
        ids: refs.filter(isUuid),
        codes: refs.filter((ref) => !isUuid(ref)).map((ref) => ref.toLowerCase()),
      })
      .getMany();
    return refs.map((ref, index) => {
      const entitlement = found.find((e) => (isUuid(ref) ? e.id === ref.toLowerCase() : e.code.toLowerCase() === ref.toLowerCase()));
      if (!entitlement) throw Errors.unprocessable('ENTITLEMENT_NOT_FOUND', `entitlement ${ref} does not exist`, { pointer: `/data/${index}/id` });
      return entitlement;
    });
  }

  async attach(manager: EntityManager, ctx: RequestContext, link: LinkTable, ownerId: string, refs: string[]): Promise<Entitlement[]> {
    const entitlements = await this.resolve(manager, ctx, refs);
    const attached = await this.attachedIds(manager, link, ownerId);
    for (const [index, entitlement] of entitlements.entries()) {
      if (attached.has(entitlement.id) || entitlements.findIndex((e) => e.id === entitlement.id) !== index) {
        throw Errors.unprocessable('ENTITLEMENT_TAKEN', `entitlement ${entitlement.code} is already attached`, { pointer: `/data/${index}/id` });
      }
    }
    await manager.query(`INSERT INTO ${link.table} (${link.owner}, entitlement_id, account_id) SELECT $1, unnest($2::uuid[]), $3`, [
      ownerId,
      entitlements.map((e) => e.id),
      ctx.account.id,
    ]);
    return entitlements;
  }

  /** Detaches with one statement; what it did not delete (not attached, named twice, detached meanwhile) is a 422. */
  async detach(manager: EntityManager, ctx: RequestContext, link: LinkTable, ownerId: string, refs: string[]): Promise<void> {
    const entitlements = await this.resolve(manager, ctx, refs);
    const [rows]: [{ entitlement_id: string }[], number] = await manager.query(
      `DELETE FROM ${link.table} WHERE ${link.owner} = $1 AND entitlement_id = ANY($2::uuid[]) RETURNING entitlement_id`,
      [ownerId, entitlements.map((e) => e.id)],
    );
    const detached = new Set(rows.map((row) => row.entitlement_id));
    for (const [index, entitlement] of entitlements.entries()) {
      if (!detached.delete(entitlement.id)) {
        throw Errors.unprocessable('ENTITLEMENT_NOT_FOUND', `entitlement ${entitlement.code} is not attached`, { pointer: `/data/${index}/id` });
      }
    }
  }

  private async attachedIds(manager: EntityManager, link: LinkTable, ownerId: string): Promise<Set<string>> {
    const rows: { entitlement_id: string }[] = await manager.query(`SELECT entitlement_id FROM ${link.table} WHERE ${link.owner} = $1`, [ownerId]);
    return new Set(rows.map((row) => row.entitlement_id));
  }
}
