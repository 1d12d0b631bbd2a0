import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

export const TOKEN_KINDS = ['admin', 'developer', 'read-only', 'user', 'product', 'license'] as const;
export type TokenKind = (typeof TOKEN_KINDS)[number];

@Entity({ name: 'tokens' })
export class Token extends AccountRecord {
  @Column({ type: 'text' })
  kind: TokenKind;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  /** sha256 of the raw token, hex; the raw value is shown once and never stored. */
  @Column({ type: 'text' })
  digest: string;

  @Column({ type: 'timestamptz', nullable: true })
  expiry: Date | null;

  /** Exactly one of user, product and license is the token's bearer. */
  @Column({ name: 'user_id', type: 'uuid', nullable: true })
  userId: string | null;

  @Column({ name: 'product_id', type: 'uuid', nullable: true })
  productId: string | null;

  @Column({ name: 'license_id', type: 'uuid', nullable: true })
  licenseId: string | null;
}
