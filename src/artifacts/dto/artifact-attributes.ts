import { IsInt, IsOptional, IsString, MaxLength, Min } from 'class-validator';
import { IsMetadata, NotNullIfPresent } from '../../common/validators.js';

export class UpdateArtifactAttributes {
  @IsOptional()
  @IsInt({ message: 'filesize must be a whole number of bytes' })
  @Min(0, { message: 'filesize must not be negative' })
  filesize?: number | null;

  @IsOptional()
  @IsString()
  @MaxLength(128)
  checksum?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(4096, { message: 'signature must be at most 4 KiB' })
  signature?: string | null;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class CreateArtifactAttributes extends UpdateArtifactAttributes {
  @IsString()
  @MaxLength(255, { message: 'filename must be at most 255 characters' })
  filename: string;

  @IsOptional()
  @IsString()
  @MaxLength(32)
  filetype?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  platform?: string | null;

  @IsOptional()
  @IsString()
  @MaxLength(64)
  arch?: string | null;
}
