import { IsEmail, IsOptional, IsString, Length, MaxLength } from 'class-validator';
import { NotNullIfPresent, IsOneOf } from '../../common/validators.js';
import { USER_ROLES, type UserRole } from '../../database/entities/user.entity.js';

export class CreateUserAttributes {
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string | null;

  @NotNullIfPresent()
  @IsString()
  @Length(8, 1024, { message: 'password must be at least 8 characters' })
  password?: string;

  @NotNullIfPresent()
  @IsOneOf(USER_ROLES, `role must be one of ${USER_ROLES.join(', ')}`)
  role?: UserRole;
}

export class UpdateUserAttributes {
  @NotNullIfPresent()
  @IsString()
  @MaxLength(254)
  @IsEmail({}, { message: 'email must be a valid email address' })
  email?: string;

  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string | null;

  @NotNullIfPresent()
  @IsString()
  @Length(8, 1024, { message: 'password must be at least 8 characters' })
  password?: string;

  @NotNullIfPresent()
  @IsOneOf(USER_ROLES, `role must be one of ${USER_ROLES.join(', ')}`)
  role?: UserRole;
}
