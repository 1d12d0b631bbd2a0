import { IsISO8601, IsOptional, IsString, MaxLength } from 'class-validator';

export class CreateTokenAttributes {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string | null;

  @IsOptional()
  @IsString()
  @IsISO8601({ strict: true, strictSeparator: true }, { message: 'expiry must be an RFC 3339 timestamp' })
  expiry?: string | null;
}
