import { connect } from 'node:net';

/**
 * Sends bytes exactly as given on a fresh TCP connection (what an HTTP client library would
 * refuse to send: a lying Content-Length, a NUL in a header, a body that never ends) and reads
 * the first response's status. `null` when the server closed without answering, or nothing came
 * within the timeout (then the connection is dropped, as a client that gives up would).
 */
export function rawRequest(port: number, parts: (string | Buffer)[], options: { timeoutMs?: number; endAfterWrite?: boolean } = {}): Promise<{ status: number | null; head: string }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      const match = /^HTTP\/1\.[01] (\d{3})/.exec(received);
      resolve({ status: match ? Number(match[1]) : null, head: received.split('\r\n\r\n')[0] });
    };
    const timer = setTimeout(finish, options.timeoutMs ?? 5_000);
    socket.on('error', finish);
    socket.on('close', finish);
    socket.on('data', (chunk: Buffer) => {
      received += chunk.toString('latin1');
      if (received.includes('\r\n\r\n')) finish();
    });
    socket.on('connect', () => {
      for (const part of parts) socket.write(part);
      if (options.endAfterWrite) socket.end();
    });
  });
}

/** An HTTP/1.1 request head with CRLFs. */
export const head = (requestLine: string, headers: Record<string, string | number>) =>
  `${requestLine}\r\n${Object.entries(headers)
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('')}\r\n`;

/**
 * Writes `text` exactly as given on a fresh connection and reads the whole answer until the
 * server closes (send `Connection: close` or HTTP/1.0). With `halfClose`, the client ends its
 * side 50 ms after writing, as a client that gave up sending would.
 */
export const rawExchange = (port: number, text: string, options: { halfClose?: boolean } = {}) =>
  new Promise<string>((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => resolve(Buffer.concat(chunks).toString('utf8')));
    socket.write(text, 'latin1', () => {
      if (options.halfClose) setTimeout(() => socket.end(), 50);
    });
  });
