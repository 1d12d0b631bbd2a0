import { IsBoolean, IsInt, IsOptional, IsString, Matches, Max, MaxLength, Min } from 'class-validator';
import {
  AUTHENTICATION_STRATEGIES,
  EXPIRATION_STRATEGIES,
  type AuthenticationStrategy,
  type ExpirationStrategy,
} from '../../database/entities/policy.entity.js';
import { IsMetadata, IsNaturalKey, NotNullIfPresent, IsTimestamp, IsOneOf } from '../../common/validators.js';

/** The column is a 32-bit integer: about 68 years. */
const MAX_DURATION = 2_147_483_647;

export class CreateEntitlementAttributes {
  @IsString()
  @MaxLength(255)
  name: string;

  @IsNaturalKey()
  code: string;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class UpdateEntitlementAttributes {
  @NotNullIfPresent()
  @IsString()
  @MaxLength(255)
  name?: string;

  @NotNullIfPresent()
  @IsNaturalKey()
  code?: string;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

/** What create and update share; `name` differs (required on create). */
class PolicyOptions {
  @IsOptional()
  @IsInt({ message: 'duration must be a whole number of seconds or null' })
  @Min(1, { message: 'duration must be at least 1 second' })
  @Max(MAX_DURATION, { message: `duration must be at most ${MAX_DURATION} seconds` })
  duration?: number | null;

  @NotNullIfPresent()
  @IsOneOf(EXPIRATION_STRATEGIES, `expirationStrategy must be one of ${EXPIRATION_STRATEGIES.join(', ')}`)
  expirationStrategy?: ExpirationStrategy;

  @NotNullIfPresent()
  @IsOneOf(AUTHENTICATION_STRATEGIES, `authenticationStrategy must be one of ${AUTHENTICATION_STRATEGIES.join(', ')}`)
  authenticationStrategy?: AuthenticationStrategy;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class CreatePolicyAttributes extends PolicyOptions {
  @IsString()
  @MaxLength(255)
  name: string;
}

export class UpdatePolicyAttributes extends PolicyOptions {
  @NotNullIfPresent()
  @IsString()
  @MaxLength(255)
  name?: string;
}

export class UpdateLicenseAttributes {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string | null;

  @IsOptional()
  @IsString()
  @IsTimestamp()
  expiry?: string | null;

  @NotNullIfPresent()
  @IsBoolean()
  suspended?: boolean;

  @NotNullIfPresent()
  @IsMetadata()
  metadata?: Record<string, unknown>;
}

export class CreateLicenseAttributes extends UpdateLicenseAttributes {
  /** Write-once; generated when absent. */
  @NotNullIfPresent()
  @IsString()
  @Matches(/^[\x21-\x7e]{8,255}$/, { message: 'key must be 8 to 255 visible ASCII characters, without spaces (it travels in HTTP headers)' })
  key?: string;
}
