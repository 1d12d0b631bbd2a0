import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

export const EXPIRATION_STRATEGIES = ['RESTRICT_ACCESS', 'REVOKE_ACCESS', 'MAINTAIN_ACCESS', 'ALLOW_ACCESS'] as const;
export type ExpirationStrategy = (typeof EXPIRATION_STRATEGIES)[number];
export const AUTHENTICATION_STRATEGIES = ['TOKEN', 'LICENSE', 'MIXED', 'NONE'] as const;
export type AuthenticationStrategy = (typeof AUTHENTICATION_STRATEGIES)[number];

@Entity({ name: 'policies' })
export class Policy extends AccountRecord {
  @Column({ name: 'product_id', type: 'uuid' })
  productId: string;

  @Column({ type: 'text' })
  name: string;

  /** Seconds a new or renewed license lasts; null = no expiry. */
  @Column({ type: 'integer', nullable: true })
  duration: number | null;

  @Column({ name: 'expiration_strategy', type: 'text' })
  expirationStrategy: ExpirationStrategy;

  @Column({ name: 'authentication_strategy', type: 'text' })
  authenticationStrategy: AuthenticationStrategy;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;
}
