import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { scopeVisibleArtifacts, type ReleaseScopeOptions } from '../auth/access/release.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { Artifact } from '../database/entities/artifact.entity.js';
import { Release } from '../database/entities/release.entity.js';

/** The bearer's visible artifacts of the account as `a`, joined to their release as `ar` for filters and order (SPEC §4). */
export function visibleArtifacts(manager: EntityManager, ctx: RequestContext, scope?: ReleaseScopeOptions): SelectQueryBuilder<Artifact> {
  const qb = manager
    .getRepository(Artifact)
    .createQueryBuilder('a')
    .innerJoin(Release, 'ar', 'ar.id = a.release_id')
    .where('a.account_id = :account', { account: ctx.account.id });
  return scopeVisibleArtifacts(qb, 'a', ctx.bearer, scope);
}
