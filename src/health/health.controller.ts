import { access, constants } from 'node:fs/promises';
import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import { DomainError } from '../common/errors.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  @Get('live')
  @HttpCode(200)
  @ApiOperation({ summary: 'The process is up' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiOperation({ summary: 'The database and storage are reachable' })
  async ready() {
    const checks = {
      database: await this.db.query('SELECT 1').then(
        () => 'ok',
        () => 'unavailable',
      ),
      storage: await access(this.config.dataDir, constants.W_OK).then(
        () => 'ok',
        () => 'unavailable',
      ),
    };
    if (Object.values(checks).some((value) => value !== 'ok')) {
      throw new DomainError(503, 'SERVICE_UNAVAILABLE', `not ready: ${JSON.stringify(checks)}`);
    }
    return { status: 'ok', checks };
  }
}
