import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

@Entity({ name: 'entitlements' })
export class Entitlement extends AccountRecord {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text' })
  code: string;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;
}
