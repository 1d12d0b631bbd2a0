import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

export const ARTIFACT_STATUSES = ['WAITING', 'UPLOADED', 'FAILED'] as const;
export type ArtifactStatus = (typeof ARTIFACT_STATUSES)[number];

@Entity({ name: 'artifacts' })
export class Artifact extends AccountRecord {
  @Column({ name: 'release_id', type: 'uuid' })
  releaseId: string;

  @Column({ type: 'text' })
  filename: string;

  @Column({ type: 'text', nullable: true })
  filetype: string | null;

  /** Declared by the client; verified against the bytes received. */
  @Column({ type: 'bigint', nullable: true })
  filesize: number | null;

  @Column({ type: 'text', nullable: true })
  platform: string | null;

  @Column({ type: 'text', nullable: true })
  arch: string | null;

  /** Declared sha256/sha512, hex or base64; verified against the bytes received. */
  @Column({ type: 'text', nullable: true })
  checksum: string | null;

  @Column({ type: 'text', nullable: true })
  signature: string | null;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;

  @Column({ type: 'text' })
  status: ArtifactStatus;

  /** Computed by the server from the bytes. */
  @Column({ type: 'text', nullable: true })
  sha256: string | null;

  @Column({ type: 'bigint', nullable: true })
  size: number | null;

  /** Where the bytes are, set once they are durable: `{accountId}/{artifactId}.{uploadId}`. */
  @Column({ name: 'storage_key', type: 'text', nullable: true })
  storageKey: string | null;

  @Column({ type: 'bigint' })
  downloads: number;
}
