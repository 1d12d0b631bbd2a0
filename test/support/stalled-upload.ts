import { readdir, stat } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { join } from 'node:path';
import { until } from './instances.js';

export type UploadPath = 'artifact PUT' | 'twine POST' | 'generic PUT';

/** What an upload on each path sends: the request head and the body that goes with it. */
export function uploadRequest(path: UploadPath, target: { url: string; authorization?: string }, fileSize: number, filename = 'big-1.0.0-py3-none-any.whl') {
  const auth = target.authorization ? `Authorization: ${target.authorization}\r\n` : '';
  if (path !== 'twine POST') {
    return {
      head: `PUT ${target.url} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: application/octet-stream\r\nContent-Length: ${fileSize}\r\n\r\n`,
      prefix: Buffer.alloc(0),
      suffix: Buffer.alloc(0),
    };
  }
  const boundary = 'keyshelf-fault-boundary';
  const field = (name: string, value: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${name}"\r\n\r\n${value}\r\n`;
  const prefix = Buffer.from(
    field(':action', 'file_upload') +
      field('protocol_version', '1') +
      field('name', 'big') +
      field('version', '1.0.0') +
      field('filetype', 'bdist_wheel') +
      `--${boundary}\r\nContent-Disposition: form-data; name="content"; filename="${filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`,
  );
  const suffix = Buffer.from(`\r\n--${boundary}--\r\n`);
  return {
    head: `POST ${target.url} HTTP/1.1\r\nHost: 127.0.0.1\r\n${auth}Content-Type: multipart/form-data; boundary=${boundary}\r\nContent-Length: ${prefix.length + fileSize + suffix.length}\r\n\r\n`,
    prefix,
    suffix,
  };
}

/**
 * Starts an upload that announces `fileSize` bytes, sends `sent` of them and then stalls,
 * resolving once the server has staged bytes in `storage/tmp` (so the upload is truly in flight).
 */
export async function stalledUpload(port: number, dataDir: string, path: UploadPath, target: { url: string; authorization?: string }, fileSize: number, sent: number): Promise<Socket> {
  const before = new Set(await readdir(join(dataDir, 'storage', 'tmp')).catch(() => []));
  const { head, prefix } = uploadRequest(path, target, fileSize);
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => undefined);
  await new Promise<void>((resolve) => socket.on('connect', resolve));
  socket.write(head);
  socket.write(prefix);
  socket.write(Buffer.alloc(sent, 7));
  await until(`the ${path} to be staged`, async () => {
    const tmp = join(dataDir, 'storage', 'tmp');
    for (const name of await readdir(tmp).catch(() => [])) {
      if (!before.has(name) && (await stat(join(tmp, name)).catch(() => null))?.size) return true;
    }
    return undefined;
  });
  return socket;
}
