import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * What the PyPI index serves beside a distribution (SPEC §6.1): its Requires-Python, and for a
 * wheel the core metadata file (`*.dist-info/METADATA`) served as `<file-url>.metadata` (PEP
 * 658/714) with its sha256. Rows go with their artifact.
 */
@Entity({ name: 'artifact_metadata' })
export class ArtifactMetadata {
  @PrimaryColumn({ name: 'artifact_id', type: 'uuid' })
  artifactId: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ name: 'requires_python', type: 'text', nullable: true })
  requiresPython: string | null;

  @Column({ type: 'bytea', nullable: true })
  content: Buffer | null;

  @Column({ type: 'text', nullable: true })
  sha256: string | null;
}
