import { IsIn, IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';
import { IsMetadata, NotNullIfPresent } from '../../common/validators.js';

const TIMESTAMP = { strict: true, strictSeparator: true } as const;

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
  @IsISO8601(TIMESTAMP, { message: 'backdated must be an RFC 3339 timestamp' })
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
  @IsIn(['DRAFT', 'PUBLISHED'], { message: 'status must be DRAFT or PUBLISHED on create' })
  status?: 'DRAFT' | 'PUBLISHED';
}
