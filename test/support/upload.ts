import { createHash, randomBytes } from 'node:crypto';
import request from 'supertest';
import type { TestApp } from './app.js';

export const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
export const randomFile = (size: number) => randomBytes(size);

/** Splits an absolute signed URL into what supertest needs (the app's own server). */
export function localPath(url: string): string {
  const parsed = new URL(url);
  return parsed.pathname + parsed.search;
}

/** PUTs bytes to a signed upload URL served by the app. */
export function putBytes(t: TestApp, url: string, bytes: Buffer): request.Test {
  return t.http.put(localPath(url)).set('Content-Type', 'application/octet-stream').send(bytes);
}

/** A supertest parser that keeps the body as bytes. */
export function binary(res: NodeJS.ReadableStream, callback: (error: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on('data', (chunk: Buffer) => chunks.push(chunk));
  res.on('end', () => callback(null, Buffer.concat(chunks)));
}
