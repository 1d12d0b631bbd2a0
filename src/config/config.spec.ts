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
    expect(config.rateLimit).toEqual({
      enabled: true,
      windowSeconds: 30,
      anonymousLimit: 60,
      staffLimit: 300,
      tokenCreationLimit: 5,
      tokenCreationWindowSeconds: 60,
    });
    expect(config.redisUrl).toBeNull();
    expect(config.redisKeyPrefix).toBe('keyshelf:');
    expect(config.trustProxy).toEqual(['loopback']);
    expect(config.databaseStatementTimeoutMs).toBe(5000);
    expect(config.coherenceWindowMs).toBe(2);
  });

  it.each([
    ['true', true],
    ['false', false],
    ['2', 2],
    ['loopback, 10.0.0.0/8 ,fd00::/8', ['loopback', '10.0.0.0/8', 'fd00::/8']],
  ])('reads TRUST_PROXY=%s', (value, expected) => {
    expect(loadConfig({ TRUST_PROXY: value }).trustProxy).toEqual(expected);
  });

  it('reads REDIS_URL and REDIS_KEY_PREFIX', () => {
    const config = loadConfig({ REDIS_URL: 'redis://:secret@cache:6379/2', REDIS_KEY_PREFIX: 'shelf-a:' });
    expect(config.redisUrl).toBe('redis://:secret@cache:6379/2');
    expect(config.redisKeyPrefix).toBe('shelf-a:');
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
    ['RATE_LIMIT_ANONYMOUS', { RATE_LIMIT_ANONYMOUS: '0' }],
    ['RATE_LIMIT_TOKEN_CREATION_WINDOW_SECONDS', { RATE_LIMIT_TOKEN_CREATION_WINDOW_SECONDS: 'a minute' }],
    ['REDIS_URL', { REDIS_URL: 'http://cache:6379' }],
    ['REDIS_URL', { REDIS_URL: 'cache:6379' }],
    ['REDIS_KEY_PREFIX', { REDIS_KEY_PREFIX: 'has space' }],
    ['TRUST_PROXY', { TRUST_PROXY: 'the load balancer' }],
    ['TRUST_PROXY', { TRUST_PROXY: '10.0.0.0/99' }],
    ['SECRET_KEY', { SECRET_KEY: 'short' }],
    ['LOG_LEVEL', { LOG_LEVEL: 'loud' }],
    ['S3_PUBLIC_ENDPOINT', { S3_PUBLIC_ENDPOINT: 'localhost:9000' }],
    ['S3_PUBLIC_ENDPOINT', { S3_PUBLIC_ENDPOINT: 'ftp://files.example.com' }],
    ['S3_PUBLIC_ENDPOINT', { S3_PUBLIC_ENDPOINT: 'https://key:secret@files.example.com' }],
    ['S3_PUBLIC_ENDPOINT', { S3_PUBLIC_ENDPOINT: 'https://files.example.com/?x=1' }],
    ['DATABASE_STATEMENT_TIMEOUT_MS', { DATABASE_STATEMENT_TIMEOUT_MS: '5s' }],
    ['COHERENCE_WINDOW_MS', { COHERENCE_WINDOW_MS: '1001' }],
    ['COHERENCE_WINDOW_MS', { COHERENCE_WINDOW_MS: '1.5' }],
  ])('names %s when it is bad', (variable, env) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(new RegExp(`^Invalid configuration: ${variable} `));
  });
});
