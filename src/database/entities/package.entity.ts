import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

export const ENGINE_KEYS = ['pypi', 'tauri', 'generic'] as const;
export type EngineKey = (typeof ENGINE_KEYS)[number];

@Entity({ name: 'packages' })
export class Package extends AccountRecord {
  @Column({ name: 'product_id', type: 'uuid' })
  productId: string;

  @Column({ type: 'text' })
  name: string;

  /** For `pypi` packages, the PEP 503 normalized name. */
  @Column({ type: 'text' })
  key: string;

  @Column({ type: 'text', nullable: true })
  engine: EngineKey | null;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;
}
