import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** An entitlement a release requires (SPEC §3.4). */
@Entity({ name: 'release_constraints' })
export class ReleaseConstraint {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

  @Column({ name: 'release_id', type: 'uuid' })
  releaseId: string;

  @Column({ name: 'entitlement_id', type: 'uuid' })
  entitlementId: string;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
