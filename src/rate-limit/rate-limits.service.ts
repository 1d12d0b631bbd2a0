import { Inject, Injectable, type OnApplicationShutdown, type OnModuleInit } from '@nestjs/common';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import { LOGGER } from '../common/logger.js';
import { APP_CONFIG, type AppConfig } from '../config/config.js';
import type { Budget } from './request-key.js';

/** One request's draw on one budget, as the headers report it. */
export interface Charge {
  budget: Budget;
  key: string;
  limit: number;
  remaining: number;
  /** When the window ends, in epoch milliseconds. */
  resetAt: number;
  allowed: boolean;
}

/** How long a start waits for Redis before serving with per-process counters. */
const REDIS_START_WAIT_MS = 2000;

/**
 * The counters of SPEC §8.4: in Redis when REDIS_URL is set, so that every instance sees them
 * (§9), in process memory otherwise. When Redis cannot answer, each budget falls back to a
 * per-process counter of the same size (rate-limiter-flexible's insurance limiter) and a warning
 * is logged: limits keep holding per instance instead of failing every request (docs/decisions.md).
 */
@Injectable()
export class RateLimits implements OnModuleInit, OnApplicationShutdown {
  readonly enabled: boolean;
  private readonly redis: Redis | null;
  private readonly limiters: Record<Budget, RateLimiterAbstract>;

  constructor(
    @Inject(APP_CONFIG) config: AppConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    const { enabled, windowSeconds, anonymousLimit, staffLimit, tokenCreationLimit, tokenCreationWindowSeconds } = config.rateLimit;
    this.enabled = enabled;
    this.redis = enabled && config.redisUrl ? this.connect(config.redisUrl) : null;
    const budget = (name: Budget, points: number, duration: number) => this.limiter(`${config.redisKeyPrefix}rate:${name}`, points, duration);
    this.limiters = {
      standard: budget('standard', anonymousLimit, windowSeconds),
      staff: budget('staff', staffLimit, windowSeconds),
      'token-creation': budget('token-creation', tokenCreationLimit, tokenCreationWindowSeconds),
    };
  }

  /** Counts one request against a budget; `allowed` is false once the window's points are spent. */
  async charge(budget: Budget, key: string): Promise<Charge> {
    const limiter = this.limiters[budget];
    const outcome = await limiter.consume(key).then(
      (res) => ({ res, allowed: true }),
      (rejection: unknown) => {
        if (rejection instanceof RateLimiterRes) return { res: rejection, allowed: false };
        throw rejection;
      },
    );
    return {
      budget,
      key,
      limit: limiter.points,
      remaining: outcome.res.remainingPoints,
      resetAt: Date.now() + outcome.res.msBeforeNext,
      allowed: outcome.allowed,
    };
  }

  /**
   * The second point of a failed authentication (SPEC §8.4). It is sent before the answer is
   * written, so the client's next request, on any instance, sees it.
   */
  penalize(charge: Charge): void {
    charge.remaining = Math.max(0, charge.remaining - 1);
    this.limiters[charge.budget].penalty(charge.key).catch((error: unknown) => {
      this.logger.warn({ err: (error as Error).message }, 'rate limit: could not count a failed authentication');
    });
  }

  async onModuleInit(): Promise<void> {
    const redis = this.redis;
    if (!redis || redis.status === 'ready') return;
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, REDIS_START_WAIT_MS);
      redis.once('ready', () => {
        clearTimeout(timer);
        resolve();
      });
    });
  }

  /** A clean QUIT when connected, so that no socket outlives the application. */
  async onApplicationShutdown(): Promise<void> {
    if (this.redis?.status === 'ready') await this.redis.quit().catch(() => this.redis?.disconnect());
    else this.redis?.disconnect();
  }

  private limiter(keyPrefix: string, points: number, duration: number): RateLimiterAbstract {
    const memory = new RateLimiterMemory({ keyPrefix, points, duration });
    if (!this.redis) return memory;
    return new RateLimiterRedis({
      storeClient: this.redis,
      keyPrefix,
      points,
      duration,
      insuranceLimiter: memory,
      // Without a connection, answer from the insurance counter at once instead of queueing.
      rejectIfRedisNotReady: true,
      // A key over its limit is refused from memory for the rest of its window: a client that
      // keeps hammering costs no Redis round trip.
      inMemoryBlockOnConsumed: points + 1,
    });
  }

  /** The client, with one log line when Redis goes away and one when it is back. */
  private connect(url: string): Redis {
    const redis = new Redis(url, {
      enableOfflineQueue: false,
      // A Redis that hangs must not hang requests: they fall back to the per-process counters.
      commandTimeout: 500,
      connectTimeout: 2000,
      maxRetriesPerRequest: 0,
      retryStrategy: (attempt) => Math.min(attempt * 200, 2000),
    });
    let shared: boolean | null = null;
    redis.on('ready', () => {
      if (shared === false) this.logger.info('Redis is reachable again: rate-limit counters are shared across instances');
      shared = true;
    });
    redis.on('error', (error: Error) => {
      // Only the message: the URL, which may carry a password, is never logged.
      if (shared !== false) {
        this.logger.warn({ err: error.message }, 'Redis is unreachable: rate limits fall back to per-process counters');
      }
      shared = false;
    });
    return redis;
  }
}
