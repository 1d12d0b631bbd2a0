import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsMetadata, IsOneOf, IsTimestamp, NotNullIfPresent } from '../../common/validators.js';

export class UpdateReleaseAttributes {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64 * 1024)
  description?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  tag?: string | null;

  @IsOptional()
  @IsString()
  @IsTimestamp()
  backdated?: string | null;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class CreateReleaseAttributes extends UpdateReleaseAttributes {
  @IsString()
  @MaxLength(255)
  version: string;

  @IsString()
  channel: string;

  /** Only DRAFT or PUBLISHED on create; afterwards only the actions change it. */
  @NotNullIfPresent()
  @IsOneOf(['DRAFT', 'PUBLISHED'], 'status must be DRAFT or PUBLISHED on create')
  status?: 'DRAFT' | 'PUBLISHED';
}
