import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The sha256 of a file, streamed. */
export async function fileSha256(path: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(path)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Runs curl as a user would (the arguments as given) and reports the status and headers of the
 * last response. With `discardBody` the body goes to /dev/null; otherwise the arguments say
 * where it goes (`-o`), or it ends up in `headers` after the header block.
 */
export async function curl(args: string[], options: { discardBody?: boolean } = {}): Promise<{ status: number; headers: string; stderr: string }> {
  const output = options.discardBody ? ['-o', '/dev/null'] : [];
  const { stdout, stderr } = await run('curl', ['-sS', ...output, '-D', '-', '-w', '\n%{http_code}', ...args], { maxBuffer: 8 * 1024 * 1024 });
  const lines = stdout.trimEnd().split('\n');
  return { status: Number(lines.pop()), headers: lines.join('\n'), stderr };
}

/** The value of the last `name` header in a header block as curl prints it (the last response's, after redirects). */
export const header = (headers: string, name: string): string | undefined =>
  headers
    .split(/\r?\n/)
    .reverse()
    .find((line) => line.toLowerCase().startsWith(`${name.toLowerCase()}:`))
    ?.slice(name.length + 1)
    .trim();
