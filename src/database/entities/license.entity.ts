import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

@Entity({ name: 'licenses' })
export class License extends AccountRecord {
  @Column({ name: 'policy_id', type: 'uuid' })
  policyId: string;

  /** The policy's product, kept here so access scopes need no join. */
  @Column({ name: 'product_id', type: 'uuid' })
  productId: string;

  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  /** HMAC-SHA256 of the key with the server secret; the key itself is shown once. */
  @Column({ name: 'key_digest', type: 'text' })
  keyDigest: string;

  @Column({ type: 'timestamptz', nullable: true })
  expiry: Date | null;

  @Column({ type: 'boolean' })
  suspended: boolean;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;
}
