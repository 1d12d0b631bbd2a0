import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

/** An entitlement a release requires (SPEC §3.4). */
@Entity({ name: 'release_constraints' })
export class ReleaseConstraint extends AccountRecord {
  @Column({ name: 'release_id', type: 'uuid' })
  releaseId: string;

  @Column({ name: 'entitlement_id', type: 'uuid' })
  entitlementId: string;
}
