import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

export const RELEASE_STATUSES = ['DRAFT', 'PUBLISHED', 'YANKED'] as const;
export type ReleaseStatus = (typeof RELEASE_STATUSES)[number];

@Entity({ name: 'releases' })
export class Release extends AccountRecord {
  @Column({ name: 'product_id', type: 'uuid' })
  productId: string;

  @Column({ name: 'package_id', type: 'uuid', nullable: true })
  packageId: string | null;

  @Column({ type: 'text' })
  version: string;

  @Column({ name: 'semver_major', type: 'bigint' })
  semverMajor: number;

  @Column({ name: 'semver_minor', type: 'bigint' })
  semverMinor: number;

  @Column({ name: 'semver_patch', type: 'bigint' })
  semverPatch: number;

  @Column({ name: 'semver_prerelease', type: 'text', nullable: true })
  semverPrerelease: string | null;

  @Column({ name: 'semver_build', type: 'text', nullable: true })
  semverBuild: string | null;

  /** Byte order is version order (see releases/version.ts). */
  @Column({ name: 'sort_key', type: 'text' })
  sortKey: string;

  @Column({ type: 'text' })
  channel: string;

  @Column({ type: 'text' })
  status: ReleaseStatus;

  @Column({ type: 'text', nullable: true })
  tag: string | null;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'text', nullable: true })
  description: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  backdated: Date | null;

  @Column({ name: 'yanked_at', type: 'timestamptz', nullable: true })
  yankedAt: Date | null;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;
}
