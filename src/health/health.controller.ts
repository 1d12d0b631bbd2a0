import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { BLOB_STORE, type BlobStore } from '../storage/blob-store.js';
import { DomainError } from '../common/errors.js';

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
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
      storage: (await this.store.ready()) ? 'ok' : 'unavailable',
    };
    if (Object.values(checks).some((value) => value !== 'ok')) {
      throw new DomainError(503, 'SERVICE_UNAVAILABLE', `not ready: ${JSON.stringify(checks)}`);
    }
    return { status: 'ok', checks };
  }
}
