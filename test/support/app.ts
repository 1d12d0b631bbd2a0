import type { IncomingMessage, ServerResponse } from 'node:http';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NestExpressApplication } from '@nestjs/platform-express';
import type { Logger } from 'pino';
import request from 'supertest';
import { DataSource } from 'typeorm';
import { createAccountWithAdmin, type NewAccount } from '../../src/accounts/account-setup.js';
import { createApp } from '../../src/app.factory.js';
import { loadConfig, type AppConfig } from '../../src/config/config.js';
import { buildOpenApiDocument } from '../../src/openapi/document.js';
import { Contract } from './contract.js';
import { createTestDatabase, dropTestDatabase } from './database.js';

export interface TestApp {
  app: NestExpressApplication;
  config: AppConfig;
  db: DataSource;
  http: ReturnType<typeof request>;
  /** A request builder that sends `Authorization` with the given header value. */
  as(authorization: string | null): Requester;
  /** Every answer the app gave, checked against the OpenAPI document (see recordExchanges). */
  contract: Contract;
  close(): Promise<void>;
}

type Method = 'get' | 'post' | 'patch' | 'put' | 'delete' | 'head';
export type Requester = Record<Method, (path: string) => request.Test>;

/** Boots the real application on a fresh PostgreSQL database (or the embedded one). */
export async function startApp(
  env: Record<string, string> = {},
  options: { embedded?: boolean; dataDir?: string; databaseUrl?: string; logger?: Logger } = {},
): Promise<TestApp> {
  const dataDir = options.dataDir ?? (await mkdtemp(join(tmpdir(), 'keyshelf-test-')));
  // KEYSHELF_TEST_EMBEDDED=1 runs the suites on the embedded database instead of PostgreSQL,
  // except those that ask for one explicitly (`embedded: false`).
  if (process.env.KEYSHELF_TEST_EMBEDDED === '1' && options.embedded === undefined && !options.databaseUrl) options = { ...options, embedded: true };
  const ownDatabase = !options.embedded && !options.databaseUrl;
  const databaseUrl = options.embedded ? undefined : (options.databaseUrl ?? (await createTestDatabase()));
  const config = loadConfig({
    DATA_DIR: dataDir,
    LOG_LEVEL: process.env.KEYSHELF_TEST_LOG_LEVEL ?? 'silent',
    RATE_LIMIT_ENABLED: 'false',
    ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    ...env,
  });
  const { app } = await createApp(config, options.logger);
  const contract = new Contract(buildOpenApiDocument(app));
  const violations = recordExchanges(app, contract);
  const http = request(app.getHttpServer());
  const as = (authorization: string | null): Requester => {
    const build = (method: Method) => (path: string) => {
      const test = http[method](path);
      return authorization ? test.set('Authorization', authorization) : test;
    };
    return { get: build('get'), post: build('post'), patch: build('patch'), put: build('put'), delete: build('delete'), head: build('head') };
  };
  return {
    app,
    config,
    db: app.get(DataSource),
    http,
    as,
    contract,
    async close() {
      await app.close();
      if (ownDatabase && databaseUrl) await dropTestDatabase(databaseUrl);
      if (!options.dataDir) await rm(dataDir, { recursive: true, force: true });
      // The suite fails when an answer it received disagrees with the OpenAPI document.
      if (violations.length > 0) throw new Error(`Answers that disagree with /openapi.json:\n${[...new Set(violations)].slice(0, 20).join('\n')}`);
    },
  };
}

const RECORDED_BODY_LIMIT = 1 << 20;

/**
 * The OpenAPI contract check of the e2e suites: every answer the application writes (whatever
 * the client, supertest or a real one on a port) is matched to its operation in the document
 * and its JSON body validated against that operation's schema for its status and media type.
 * What disagrees is collected and fails the suite in close().
 */
function recordExchanges(app: NestExpressApplication, contract: Contract): string[] {
  const violations: string[] = [];
  app.getHttpServer().prependListener('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const keep = (chunk: unknown, encoding?: unknown) => {
      if (chunk === undefined || chunk === null || typeof chunk === 'function' || size > RECORDED_BODY_LIMIT) return;
      const type = String(res.getHeader('Content-Type') ?? '');
      if (!type.includes('json')) return;
      const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === 'string' ? (encoding as BufferEncoding) : 'utf8');
      size += buffer.length;
      chunks.push(buffer);
    };
    const write = res.write.bind(res) as (...args: unknown[]) => boolean;
    const end = res.end.bind(res) as (...args: unknown[]) => ServerResponse;
    (res as { write: unknown }).write = (...args: unknown[]) => {
      keep(args[0], args[1]);
      return write(...args);
    };
    (res as { end: unknown }).end = (...args: unknown[]) => {
      keep(args[0], args[1]);
      return end(...args);
    };
    res.once('finish', () => {
      if (size > RECORDED_BODY_LIMIT) return;
      const problem = contract.check({
        method: req.method ?? 'GET',
        url: req.url ?? '/',
        status: res.statusCode,
        contentType: String(res.getHeader('Content-Type') ?? ''),
        body: Buffer.concat(chunks).toString('utf8'),
      });
      if (problem) violations.push(problem);
    });
  });
  return violations;
}

export interface TestAccount {
  id: string;
  slug: string;
  adminUserId: string;
  adminToken: string;
  /** `/v1/accounts/{id}` */
  base: string;
}

export async function createAccount(t: TestApp, input: NewAccount): Promise<TestAccount> {
  const created = await t.db.transaction((manager) => createAccountWithAdmin(manager, input));
  return {
    id: created.account.id,
    slug: created.account.slug,
    adminUserId: created.user.id,
    adminToken: created.token,
    base: `/v1/accounts/${created.account.id}`,
  };
}

export const bearer = (token: string) => `Bearer ${token}`;
export const basic = (user: string, pass: string) => `Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`;

/** A JSON:API request body. */
export function doc(type: string, attributes: Record<string, unknown> = {}, relationships?: Record<string, unknown>) {
  return { data: { type, attributes, ...(relationships ? { relationships } : {}) } };
}
