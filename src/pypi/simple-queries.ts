import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { visibleArtifacts } from '../artifacts/artifact-queries.js';
import { grantsOnce, scopeArtifactsOfVisibleReleases } from '../auth/access/release.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { ArtifactMetadata } from '../database/entities/artifact-metadata.entity.js';
import { Artifact } from '../database/entities/artifact.entity.js';
import { Package } from '../database/entities/package.entity.js';
import { visibleReleases } from '../releases/release-queries.js';

/**
 * Every visible file of one project, in version order, with what the page shows of its release
 * and metadata (SPEC §6.1). The project's visible releases come first, computed once through
 * `releases_package_idx` (a materialized CTE, `ar`, which reads the bearer's licenses once, not
 * once per release), then their files by release id through
 * `artifacts_release_filename_key` and their metadata by key: the work is linear in the
 * project's own releases and files, and no plan reads the rest of the account, however large
 * (test/e2e/pypi-page-plan.test.ts pins the plan). Joining the files to the visible-artifact
 * scope instead let PostgreSQL scan every release or every file of the account.
 */
export function projectFiles(manager: EntityManager, ctx: RequestContext, packageId: string): SelectQueryBuilder<Artifact> {
  const qb = manager.getRepository(Artifact).createQueryBuilder('a');
  const grants = grantsOnce(qb, ctx.bearer, 'page_grants');
  const releases = visibleReleases(manager, ctx, { grants })
    .andWhere('r.package_id = :pagePackage', { pagePackage: packageId })
    .select('r.id', 'id')
    .addSelect('r.product_id', 'product_id')
    .addSelect('r.version', 'version')
    .addSelect('r.status', 'status')
    .addSelect('r.sort_key', 'sort_key');
  qb.addCommonTableExpression(releases, 'page_releases', { materialized: true })
    .innerJoin('page_releases', 'ar', 'ar.id = a.release_id')
    .leftJoin(ArtifactMetadata, 'm', 'm.artifact_id = a.id')
    .where(`a.account_id = :account AND a.status = 'UPLOADED'`, { account: ctx.account.id })
    // The ids as one array: PostgreSQL looks each up in `artifacts_release_filename_key`, whatever
    // it guesses of their number; a join on `ar` alone may hash a scan of every file of the account.
    .andWhere('a.release_id = ANY (ARRAY(SELECT pr.id FROM page_releases pr))');
  return scopeArtifactsOfVisibleReleases(qb, 'a', 'ar', ctx.bearer)
    .select('a.id', 'id')
    .addSelect('a.filename', 'filename')
    .addSelect('a.sha256', 'sha256')
    .addSelect('a.size', 'size')
    .addSelect('a.created_at', 'created')
    .addSelect('ar.version', 'version')
    .addSelect('ar.status', 'status')
    .addSelect('m.requires_python', 'requires_python')
    .addSelect('m.sha256', 'metadata_sha256')
    .orderBy('ar.sort_key')
    .addOrderBy('a.filename');
}

/**
 * The keys of the PyPI projects with at least one visible file, in order (the `/simple/`
 * index): per project, its first visible file, instead of every visible file of the account
 * made distinct. A scalar subquery with a limit, which PostgreSQL runs once per project and
 * which stops at that first file; an EXISTS it may turn into a join that hashes every file.
 */
export function indexProjects(manager: EntityManager, ctx: RequestContext, productId?: string): SelectQueryBuilder<Package> {
  const qb = manager.getRepository(Package).createQueryBuilder('pkg');
  const grants = grantsOnce(qb, ctx.bearer, 'index_grants');
  const firstFile = visibleArtifacts(manager, ctx, { grants }).select('a.id').andWhere(`ar.package_id = pkg.id AND a.status = 'UPLOADED'`).limit(1);
  qb.select('pkg.key', 'key')
    .where(`pkg.account_id = :account AND pkg.engine = 'pypi'`, { account: ctx.account.id })
    .andWhere(`(${firstFile.getQuery()}) IS NOT NULL`)
    .setParameters(firstFile.getParameters())
    .orderBy('pkg.key');
  if (productId !== undefined) qb.andWhere('pkg.product_id = :indexProduct', { indexProduct: productId });
  return qb;
}
