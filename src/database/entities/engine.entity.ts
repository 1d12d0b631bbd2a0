import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';
import type { EngineKey } from './package.entity.js';

/** Derived: one per account and engine key, written whenever such a package is (SPEC §3.3). */
@Entity({ name: 'engines' })
export class Engine extends AccountRecord {
  @Column({ type: 'text' })
  key: EngineKey;
}
