import { IsIn, IsOptional, IsString, IsUrl, MaxLength } from 'class-validator';
import { DISTRIBUTION_STRATEGIES, type DistributionStrategy } from '../../database/entities/product.entity.js';
import { IsMetadata, IsNaturalKey } from '../../common/validators.js';

const STRATEGY_MESSAGE = `distributionStrategy must be one of ${DISTRIBUTION_STRATEGIES.join(', ')}`;

export class CreateProductAttributes {
  @IsString()
  @MaxLength(255)
  name: string;

  @IsOptional()
  @IsNaturalKey()
  code?: string | null;

  @IsOptional()
  @IsIn(DISTRIBUTION_STRATEGIES, { message: STRATEGY_MESSAGE })
  distributionStrategy?: DistributionStrategy;

  @IsOptional()
  @IsString()
  @IsUrl({ require_tld: false }, { message: 'url must be a URL' })
  url?: string | null;

  @IsOptional()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class UpdateProductAttributes {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string;

  @IsOptional()
  @IsNaturalKey()
  code?: string | null;

  @IsOptional()
  @IsIn(DISTRIBUTION_STRATEGIES, { message: STRATEGY_MESSAGE })
  distributionStrategy?: DistributionStrategy;

  @IsOptional()
  @IsString()
  @IsUrl({ require_tld: false }, { message: 'url must be a URL' })
  url?: string | null;

  @IsOptional()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}
