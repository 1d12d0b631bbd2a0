import type { EntityManager, SelectQueryBuilder } from 'typeorm';
import { scopeVisibleArtifacts } from '../auth/access/release.access.js';
import type { RequestContext } from '../auth/decorators.js';
import { Artifact } from '../database/entities/artifact.entity.js';
import type { Release } from '../database/entities/release.entity.js';
import { MAX_SIGNATURE_BYTES } from './tauri-signature.js';
import { upgradeCandidates, type UpgradeCriteria } from './upgrade-queries.js';

/** What the updater runs on: `platform` and `arch` lowercased, and the formats it installs, best first. */
export interface UpdaterTarget {
  platform: string;
  arch: string;
  formats: string[];
}

/** CASE over the filename's suffix: the format's rank, or NULL for a file the updater cannot use. */
function formatRank(alias: string, formats: string[]): string {
  const cases = formats.map((_, index) => `WHEN lower(${alias}.filename) LIKE :tauriFormat${index} THEN ${index}`);
  return `(CASE ${cases.join(' ')} END)`;
}

/**
 * Files of `releaseColumn`'s release that an updater on `target` can install (SPEC §6.2):
 * UPLOADED, for this platform and arch, in an updater format, and signed — by their own
 * `signature`, or by an uploaded `<filename>.sig` of the same release. Who may see them is the
 * caller's business (see below).
 */
function installableFiles(manager: EntityManager, target: UpdaterTarget, releaseColumn: string): SelectQueryBuilder<Artifact> {
  const qb = manager.getRepository(Artifact).createQueryBuilder('ta').where(`ta.release_id = ${releaseColumn}`);
  target.formats.forEach((format, index) => qb.setParameter(`tauriFormat${index}`, `%${format}`));
  return qb
    .andWhere(`ta.status = 'UPLOADED'`)
    .andWhere('ta.platform = :tauriPlatform AND ta.arch = :tauriArch', { tauriPlatform: target.platform, tauriArch: target.arch })
    .andWhere(`${formatRank('ta', target.formats)} IS NOT NULL`)
    .andWhere(
      `(btrim(ta.signature, E' \\t\\r\\n') <> '' OR EXISTS (
         SELECT 1 FROM artifacts ts
         WHERE ts.release_id = ta.release_id AND lower(ts.filename) = lower(ta.filename || '.sig')
           AND ts.status = 'UPLOADED' AND ts.size BETWEEN 1 AND ${MAX_SIGNATURE_BYTES}))`,
    );
}

/**
 * Upgrades that have an installable file, greatest first, in one query: the upgrade candidates
 * (the same index walk as GET /releases/{id}/upgrade) filtered by EXISTS, so a newer release
 * without a file for this platform does not hide an older one that has one. The candidates are
 * already the caller's visible releases, and an UPLOADED artifact of a visible release is
 * visible to every bearer (scopeVisibleArtifacts); keeping the artifact scope's second join to
 * the releases out of this EXISTS lets PostgreSQL probe each candidate's files by index instead
 * of materializing every installable file. `bestArtifact` applies the artifact scope itself.
 */
export function installableUpgrades(manager: EntityManager, ctx: RequestContext, criteria: UpgradeCriteria, target: UpdaterTarget): SelectQueryBuilder<Release> {
  const files = installableFiles(manager, target, 'r.id').select('1');
  return upgradeCandidates(manager, ctx, criteria).andWhere(`EXISTS (${files.getQuery()})`).setParameters(files.getParameters());
}

export function installableUpgrade(manager: EntityManager, ctx: RequestContext, criteria: UpgradeCriteria, target: UpdaterTarget): Promise<Release | null> {
  return installableUpgrades(manager, ctx, criteria, target).limit(1).getOne();
}

/** The file to offer from that release, among those the caller sees: the best format, the newest among equals. */
export function bestArtifact(manager: EntityManager, ctx: RequestContext, release: Release, target: UpdaterTarget): Promise<Artifact | null> {
  const qb = installableFiles(manager, target, ':tauriRelease').andWhere('ta.account_id = :account', { account: ctx.account.id });
  return scopeVisibleArtifacts(qb, 'ta', ctx.bearer)
    .setParameter('tauriRelease', release.id)
    .orderBy(formatRank('ta', target.formats), 'ASC')
    .addOrderBy('ta.created_at', 'DESC')
    .limit(1)
    .getOne();
}

/** The storage key of the artifact's uploaded `.sig` file, when it has one of a usable size. */
export async function signatureFileKey(manager: EntityManager, artifact: Artifact): Promise<string | null> {
  const rows: { storage_key: string }[] = await manager.query(
    `SELECT storage_key FROM artifacts
     WHERE release_id = $1 AND lower(filename) = lower($2 || '.sig') AND status = 'UPLOADED' AND size BETWEEN 1 AND $3
     ORDER BY created_at DESC LIMIT 1`,
    [artifact.releaseId, artifact.filename, MAX_SIGNATURE_BYTES],
  );
  return rows[0]?.storage_key ?? null;
}
