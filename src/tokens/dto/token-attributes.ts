import { IsOptional, IsString, MaxLength } from 'class-validator';
import { IsTimestamp } from '../../common/validators.js';

export class CreateTokenAttributes {
  @IsOptional()
  @IsString()
  @MaxLength(255)
  name?: string | null;

  @IsOptional()
  @IsString()
  @IsTimestamp()
  expiry?: string | null;
}
