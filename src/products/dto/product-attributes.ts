import { IsOptional, IsString, IsUrl, MaxLength } from 'class-validator';
import { DISTRIBUTION_STRATEGIES, type DistributionStrategy } from '../../database/entities/product.entity.js';
import { IsMetadata, IsNaturalKey, NotNullIfPresent, IsOneOf } from '../../common/validators.js';

/** What create and update share; `name` differs (required on create). */
class ProductOptions {
  @IsOptional()
  @IsNaturalKey()
  code?: string | null;

  @NotNullIfPresent()
  @IsOneOf(DISTRIBUTION_STRATEGIES, `distributionStrategy must be one of ${DISTRIBUTION_STRATEGIES.join(', ')}`)
  distributionStrategy?: DistributionStrategy;

  @IsOptional()
  @IsString()
  @IsUrl({ require_tld: false }, { message: 'url must be a URL' })
  url?: string | null;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class CreateProductAttributes extends ProductOptions {
  @IsString()
  @MaxLength(255)
  name: string;
}

export class UpdateProductAttributes extends ProductOptions {
  @NotNullIfPresent()
  @IsString()
  @MaxLength(255)
  name?: string;
}
