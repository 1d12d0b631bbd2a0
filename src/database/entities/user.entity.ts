import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

export const USER_ROLES = ['admin', 'developer', 'read-only', 'user'] as const;
export type UserRole = (typeof USER_ROLES)[number];

@Entity({ name: 'users' })
export class User extends AccountRecord {
  @Column({ type: 'text' })
  email: string;

  @Column({ type: 'text', nullable: true })
  name: string | null;

  @Column({ type: 'text' })
  role: UserRole;

  /** argon2id; null when the user can only authenticate with tokens. */
  @Column({ name: 'password_hash', type: 'text', nullable: true })
  passwordHash: string | null;
}
