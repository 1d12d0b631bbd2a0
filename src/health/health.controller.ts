import { Controller, Get, HttpCode, Inject } from '@nestjs/common';
import { ApiOperation, ApiTags } from '@nestjs/swagger';
import { DataSource } from 'typeorm';
import { BLOB_STORE, type BlobStore } from '../storage/blob-store.js';
import { DomainError } from '../common/errors.js';
import { ApiDoc } from '../openapi/operation.js';

const status = { type: 'string', enum: ['ok'] };

@ApiTags('health')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: DataSource,
    @Inject(BLOB_STORE) private readonly store: BlobStore,
  ) {}

  @Get('live')
  @ApiDoc({ body: { kind: 'raw', content: { 'application/json': { schema: { type: 'object', required: ['status'], properties: { status } } } } } })
  @HttpCode(200)
  @ApiOperation({ summary: 'The process is up' })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @ApiDoc({
    body: {
      kind: 'raw',
      content: {
        'application/json': {
          schema: {
            type: 'object',
            required: ['status', 'checks'],
            properties: { status, checks: { type: 'object', properties: { database: status, storage: status } } },
          },
        },
      },
    },
    description: '503 SERVICE_UNAVAILABLE when the database or storage is not reachable',
  })
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
