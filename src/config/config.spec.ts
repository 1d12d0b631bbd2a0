import { resolve } from 'node:path';
import { ConfigError, loadConfig } from './config.js';

describe('loadConfig (SPEC §8.1)', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig({});
    expect(config.port).toBe(3000);
    expect(config.dataDir).toBe(resolve('./data'));
    expect(config.databaseUrl).toBeNull();
    expect(config.storage.driver).toBe('fs');
    expect(config.maxUploadBytes).toBe(1024 ** 3);
    expect(config.signedUrlTtlSeconds).toBe(60);
    expect(config.pypiUpstreamUrl).toBe('https://pypi.org/simple');
    expect(config.rateLimit.enabled).toBe(true);
    expect(config.databaseStatementTimeoutMs).toBe(5000);
  });

  it('reads given values', () => {
    const config = loadConfig({ PORT: '8080', DATABASE_URL: 'postgres://u@h/db', RATE_LIMIT_ENABLED: 'false', PYPI_UPSTREAM_URL: '' });
    expect(config.port).toBe(8080);
    expect(config.databaseUrl).toBe('postgres://u@h/db');
    expect(config.rateLimit.enabled).toBe(false);
    expect(config.pypiUpstreamUrl).toBeNull();
  });

  it('keeps the server-side and the public S3 endpoints apart', () => {
    const env = { STORAGE_DRIVER: 's3', S3_BUCKET: 'b', S3_ENDPOINT: 'http://minio:9000' };
    expect(loadConfig(env).storage.s3.publicEndpoint).toBeNull();
    const config = loadConfig({ ...env, S3_PUBLIC_ENDPOINT: 'https://files.example.com/' });
    expect(config.storage.s3.endpoint).toBe('http://minio:9000');
    expect(config.storage.s3.publicEndpoint).toBe('https://files.example.com');
  });

  it.each([
    ['PORT', { PORT: 'eighty' }],
    ['PORT', { PORT: '70000' }],
    ['DATABASE_URL', { DATABASE_URL: 'mysql://x' }],
    ['STORAGE_DRIVER', { STORAGE_DRIVER: 'ftp' }],
    ['S3_BUCKET', { STORAGE_DRIVER: 's3' }],
    ['MAX_UPLOAD_BYTES', { MAX_UPLOAD_BYTES: '-1' }],
    ['RATE_LIMIT_ENABLED', { RATE_LIMIT_ENABLED: 'maybe' }],
    ['SECRET_KEY', { SECRET_KEY: 'short' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['S3_PUBLIC_ENDPOINT', { S3_PUBLIC_ENDPOINT: 'localhost:9000' }],
    ['S3_PUBLIC_ENDPOINT', { S3_PUBLIC_ENDPOINT: 'ftp://files.example.com' }],
    ['S3_PUBLIC_ENDPOINT', { S3_PUBLIC_ENDPOINT: 'https://key:secret@files.example.com' }],
    ['S3_PUBLIC_ENDPOINT', { S3_PUBLIC_ENDPOINT: 'https://files.example.com/?x=1' }],
    ['DATABASE_STATEMENT_TIMEOUT_MS', { DATABASE_STATEMENT_TIMEOUT_MS: '5s' }],
  ])('names %s when it is bad', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });
});
