import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';
import { pino, type Logger } from 'pino';

export const SHARED_REDIS_URL = process.env.TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

/** A key prefix of its own per suite run, so that parallel runs on one Redis never collide. */
export const uniquePrefix = () => `keyshelf-test-${randomUUID()}:`;

async function withRedis<T>(url: string, work: (redis: Redis) => Promise<T>): Promise<T> {
  const redis = new Redis(url);
  try {
    return await work(redis);
  } finally {
    await redis.quit();
  }
}

/** The keys under a prefix, and a way to remove them when the suite ends. */
export function redisKeys(prefix: string, url = SHARED_REDIS_URL): Promise<string[]> {
  return withRedis(url, (redis) => redis.keys(`${prefix}*`));
}

export function dropRedisKeys(prefix: string, url = SHARED_REDIS_URL): Promise<void> {
  return withRedis(url, async (redis) => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
  });
}

/** A distinct client address per call, sent as X-Forwarded-For (trusted from loopback). */
export function addresses(): () => string {
  let next = 0;
  return () => {
    next += 1;
    return `10.${(next >> 16) & 255}.${(next >> 8) & 255}.${next & 255}`;
  };
}

/** A logger whose lines the test can read. */
export function capturedLogger(): { logger: Logger; lines: Array<{ level: number; msg: string }> } {
  const lines: Array<{ level: number; msg: string }> = [];
  const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { logger, lines };
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

/** A redis-server of the test's own, which the test may kill and start again on the same port. */
export async function privateRedis(): Promise<{ url: string; start(): Promise<void>; kill(): Promise<void> }> {
  const port = await freePort();
  const url = `redis://127.0.0.1:${port}`;
  let child: ChildProcess | null = null;
  const start = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    const probe = new Redis(url, { lazyConnect: true, retryStrategy: () => 100, maxRetriesPerRequest: 0 });
    probe.on('error', () => undefined);
    for (let i = 0; i < 50; i += 1) {
      if (await probe.ping().then(() => true, () => false)) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    probe.disconnect();
  };
  const kill = async () => {
    const running = child;
    if (!running || running.exitCode !== null) return;
    const exited = new Promise((resolve) => running.once('exit', resolve));
    running.kill('SIGKILL');
    await exited;
  };
  await start();
  return { url, start, kill };
}
