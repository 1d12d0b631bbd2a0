import { IsOptional, IsString, MaxLength } from 'class-validator';
import { ENGINE_KEYS, type EngineKey } from '../../database/entities/package.entity.js';
import { IsMetadata, NotNullIfPresent, IsOneOf } from '../../common/validators.js';

const ENGINE_MESSAGE = `engine must be one of ${ENGINE_KEYS.join(', ')} or null`;

export class CreatePackageAttributes {
  @IsString()
  @MaxLength(255)
  name: string;

  /** Checked per engine by the service (PEP 503 names for pypi). */
  @IsString()
  @MaxLength(255)
  key: string;

  @IsOptional()
  @IsOneOf(ENGINE_KEYS, ENGINE_MESSAGE)
  engine?: EngineKey | null;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class UpdatePackageAttributes {
  @NotNullIfPresent()
  @IsString()
  @MaxLength(255)
  name?: string;

  @NotNullIfPresent()
  @IsString()
  @MaxLength(255)
  key?: string;

  @IsOptional()
  @IsOneOf(ENGINE_KEYS, ENGINE_MESSAGE)
  engine?: EngineKey | null;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}
