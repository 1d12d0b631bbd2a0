import { resolve } from 'node:path';
import proxyAddr from 'proxy-addr';

/** The typed configuration of one Keyshelf process (SPEC §8.1). */
export interface AppConfig {
  port: number;
  publicUrl: string | null;
  dataDir: string;
  databaseUrl: string | null;
  /** Longest a database statement may run before PostgreSQL cancels it (0 = no limit). */
  databaseStatementTimeoutMs: number;
  /**
   * How long one read of an account's change serials answers the requests that arrive after it
   * was sent, and how long a response to a write waits after the write (0 = every request reads).
   */
  coherenceWindowMs: number;
  storage: {
    driver: 'fs' | 's3';
    s3: {
      endpoint: string | null;
      /** Where clients reach the store; presigned download URLs are signed for it (SPEC §7). */
      publicEndpoint: string | null;
      bucket: string | null;
      region: string;
      accessKeyId: string | null;
      secretAccessKey: string | null;
      forcePathStyle: boolean;
    };
  };
  /** From the environment; when null the server generates one into the data directory. */
  secretKey: string | null;
  maxUploadBytes: number;
  signedUrlTtlSeconds: number;
  pypiUpstreamUrl: string | null;
  rateLimit: {
    enabled: boolean;
    windowSeconds: number;
    anonymousLimit: number;
    staffLimit: number;
    tokenCreationLimit: number;
    tokenCreationWindowSeconds: number;
  };
  /** Where counters live across instances; null keeps them in process memory (SPEC §8.4, §9). */
  redisUrl: string | null;
  redisKeyPrefix: string;
  /** Express `trust proxy`: which hops may set X-Forwarded-For (the client address of §8.4). */
  trustProxy: boolean | number | string[];
  sweep: { graceSeconds: number; intervalSeconds: number };
  logLevel: 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';
  shutdownTimeoutMs: number;
}

export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    reason: string,
  ) {
    super(`Invalid configuration: ${variable} ${reason}`);
  }
}

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | null {
  const value = env[name];
  return value === undefined || value.trim() === '' ? null : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (!/^\d+$/.test(raw)) throw new ConfigError(name, `must be a whole number, got "${raw}"`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max}, got ${raw}`);
  return value;
}

function boolean(env: Env, name: string, fallback: boolean): boolean {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (/^(true|1|yes)$/i.test(raw)) return true;
  if (/^(false|0|no)$/i.test(raw)) return false;
  throw new ConfigError(name, `must be true or false, got "${raw}"`);
}

function oneOf<T extends string>(env: Env, name: string, allowed: readonly T[], fallback: T): T {
  const raw = text(env, name);
  if (raw === null) return fallback;
  if (!(allowed as readonly string[]).includes(raw)) {
    throw new ConfigError(name, `must be one of ${allowed.join(', ')}, got "${raw}"`);
  }
  return raw as T;
}

function url(env: Env, name: string, protocols: string[], fallback: string | null): string | null {
  const raw = text(env, name);
  if (raw === null) return fallback;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, 'must be an absolute URL');
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(' or ')}`);
  }
  return raw.replace(/\/+$/, '');
}

/** An address emitted in every presigned URL: no credentials, query or fragment (SPEC §10). */
function publicEndpoint(env: Env, name: string): string | null {
  const value = url(env, name, ['http:', 'https:'], null);
  if (value === null) return null;
  const parsed = new URL(value);
  if (parsed.username || parsed.password || parsed.search || parsed.hash) {
    throw new ConfigError(name, 'must not carry credentials, a query or a fragment');
  }
  return value;
}

function redisKeyPrefix(env: Env): string {
  const raw = env.REDIS_KEY_PREFIX ?? 'keyshelf:';
  if (!/^[A-Za-z0-9:._-]{0,64}$/.test(raw)) throw new ConfigError('REDIS_KEY_PREFIX', 'must be up to 64 letters, digits or ":._-"');
  return raw;
}

/** `true`/`false`, a hop count, or a comma-separated list of addresses, CIDRs and the names
 * `loopback`, `linklocal`, `uniquelocal`, checked as Express will compile them. */
function trustProxy(env: Env): boolean | number | string[] {
  const raw = text(env, 'TRUST_PROXY');
  if (raw === null) return ['loopback'];
  if (/^(true|false)$/i.test(raw)) return raw.toLowerCase() === 'true';
  if (/^\d+$/.test(raw)) return integer(env, 'TRUST_PROXY', 0, 0, 100);
  const list = raw.split(',').map((entry) => entry.trim()).filter((entry) => entry !== '');
  try {
    proxyAddr.compile(list);
  } catch (error) {
    throw new ConfigError('TRUST_PROXY', `must be true, false, a hop count or a list of addresses (${(error as Error).message})`);
  }
  return list;
}

/** Reads and validates the environment; throws ConfigError naming the first bad variable. */
export function loadConfig(env: Env = process.env): AppConfig {
  const driver = oneOf(env, 'STORAGE_DRIVER', ['fs', 's3'] as const, 'fs');
  const s3 = {
    endpoint: url(env, 'S3_ENDPOINT', ['http:', 'https:'], null),
    // The server may reach the store by a name clients cannot resolve (`http://minio:9000` in
    // compose); presigned URLs are then signed for this address instead (SPEC §7, §9).
    publicEndpoint: publicEndpoint(env, 'S3_PUBLIC_ENDPOINT'),
    bucket: text(env, 'S3_BUCKET'),
    region: text(env, 'S3_REGION') ?? 'us-east-1',
    accessKeyId: text(env, 'S3_ACCESS_KEY_ID'),
    secretAccessKey: text(env, 'S3_SECRET_ACCESS_KEY'),
    forcePathStyle: boolean(env, 'S3_FORCE_PATH_STYLE', false),
  };
  if (driver === 's3' && !s3.bucket) throw new ConfigError('S3_BUCKET', 'is required when STORAGE_DRIVER=s3');

  const secretKey = text(env, 'SECRET_KEY');
  if (secretKey !== null && secretKey.length < 32) {
    throw new ConfigError('SECRET_KEY', 'must be at least 32 characters');
  }
  // An empty PYPI_UPSTREAM_URL disables the upstream redirect (SPEC §6.1).
  const upstreamSet = env.PYPI_UPSTREAM_URL !== undefined;
  const pypiUpstreamUrl = upstreamSet
    ? url(env, 'PYPI_UPSTREAM_URL', ['http:', 'https:'], null)
    : 'https://pypi.org/simple';

  return {
    port: integer(env, 'PORT', 3000, 0, 65535),
    publicUrl: url(env, 'PUBLIC_URL', ['http:', 'https:'], null),
    dataDir: resolve(text(env, 'DATA_DIR') ?? './data'),
    databaseUrl: url(env, 'DATABASE_URL', ['postgres:', 'postgresql:'], null),
    databaseStatementTimeoutMs: integer(env, 'DATABASE_STATEMENT_TIMEOUT_MS', 5000, 0, 3_600_000),
    coherenceWindowMs: integer(env, 'COHERENCE_WINDOW_MS', 2, 0, 1000),
    storage: { driver, s3 },
    secretKey,
    maxUploadBytes: integer(env, 'MAX_UPLOAD_BYTES', 1024 ** 3, 1, Number.MAX_SAFE_INTEGER),
    signedUrlTtlSeconds: integer(env, 'SIGNED_URL_TTL_SECONDS', 60, 1, 7 * 24 * 3600),
    pypiUpstreamUrl,
    rateLimit: {
      enabled: boolean(env, 'RATE_LIMIT_ENABLED', true),
      windowSeconds: integer(env, 'RATE_LIMIT_WINDOW_SECONDS', 30, 1, 86400),
      anonymousLimit: integer(env, 'RATE_LIMIT_ANONYMOUS', 60, 1, 1_000_000),
      staffLimit: integer(env, 'RATE_LIMIT_STAFF', 300, 1, 1_000_000),
      tokenCreationLimit: integer(env, 'RATE_LIMIT_TOKEN_CREATION', 5, 1, 1_000_000),
      tokenCreationWindowSeconds: integer(env, 'RATE_LIMIT_TOKEN_CREATION_WINDOW_SECONDS', 60, 1, 86400),
    },
    redisUrl: url(env, 'REDIS_URL', ['redis:', 'rediss:'], null),
    redisKeyPrefix: redisKeyPrefix(env),
    trustProxy: trustProxy(env),
    sweep: {
      graceSeconds: integer(env, 'SWEEP_GRACE_SECONDS', 3600, 0, 30 * 86400),
      intervalSeconds: integer(env, 'SWEEP_INTERVAL_SECONDS', 3600, 0, 30 * 86400),
    },
    logLevel: oneOf(env, 'LOG_LEVEL', ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, 'info'),
    shutdownTimeoutMs: integer(env, 'SHUTDOWN_TIMEOUT_SECONDS', 30, 0, 3600) * 1000,
  };
}

export const APP_CONFIG = Symbol('APP_CONFIG');
