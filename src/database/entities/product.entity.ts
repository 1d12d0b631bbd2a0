import { Column, Entity } from 'typeorm';
import { AccountRecord } from './account-record.js';

export const DISTRIBUTION_STRATEGIES = ['LICENSED', 'OPEN', 'CLOSED'] as const;
export type DistributionStrategy = (typeof DISTRIBUTION_STRATEGIES)[number];

@Entity({ name: 'products' })
export class Product extends AccountRecord {
  @Column({ type: 'text' })
  name: string;

  @Column({ type: 'text', nullable: true })
  code: string | null;

  @Column({ name: 'distribution_strategy', type: 'text' })
  distributionStrategy: DistributionStrategy;

  @Column({ type: 'text', nullable: true })
  url: string | null;

  @Column({ type: 'jsonb' })
  metadata: Record<string, unknown>;
}
