import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export const DISTRIBUTION_STRATEGIES = ['LICENSED', 'OPEN', 'CLOSED'] as const;
export type DistributionStrategy = (typeof DISTRIBUTION_STRATEGIES)[number];

@Entity({ name: 'products' })
export class Product {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column({ name: 'account_id', type: 'uuid' })
  accountId: string;

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

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt: Date;
}
