import { randomUUID } from 'node:crypto';
import type { IncomingMessage, Server } from 'node:http';
import type { Socket } from 'node:net';
import { type ErrorStyleRule, errorStyleFor } from './error-style.js';

/**
 * Requests that Node's HTTP parser refuses (an oversized or unparsable head, a body cut short by
 * a half-close) never reach Express, or reach it too late to answer; they still get an error with
 * an X-Request-Id (SPEC §1.3), in the form of the route the request was for, as the application
 * answers its own errors: PyPI's plain text on its paths, plain JSON on Tauri's, else JSON:API.
 */
export function answerClientErrors(server: Server, styles: readonly ErrorStyleRule[]): void {
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const [status, title, code, detail] = tooLarge
      ? [431, 'Request header fields too large', 'HEADERS_TOO_LARGE', 'The request headers are too large']
      : [400, 'Bad request', 'REQUEST_INVALID', 'The request could not be parsed'];
    const requestId = randomUUID();
    const line = requestLine(socket, error.rawPacket);
    const style = line ? errorStyleFor(styles, line.method, line.path) : undefined;
    const [type, reason, body] =
      style === 'text'
        ? ['text/plain; charset=utf-8', detail, `${detail}\n`]
        : [
            style === 'json' ? 'application/json; charset=utf-8' : 'application/vnd.api+json; charset=utf-8',
            title,
            JSON.stringify({ meta: { id: requestId }, errors: [{ title, detail, code }] }),
          ];
    socket.end(
      `HTTP/1.1 ${status} ${reason}\r\nContent-Type: ${type}\r\nX-Request-Id: ${requestId}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}

/**
 * The method and path of the request being parsed, when known: the request Node already made of
 * the head (a body cut short), or else the request line at the start of the bytes refused.
 */
function requestLine(socket: Socket, rawPacket: Buffer | undefined): { method: string; path: string } | null {
  const internals = socket as Socket & { parser?: { incoming?: IncomingMessage | null }; _httpMessage?: { req?: IncomingMessage } | null };
  const incoming = internals.parser?.incoming ?? internals._httpMessage?.req;
  if (incoming?.method && incoming.url) return { method: incoming.method, path: incoming.url.split('?')[0] };
  const match = rawPacket ? /^([A-Z]{1,20}) (\/[^ ?\r\n]*)/.exec(rawPacket.subarray(0, 8192).toString('latin1')) : null;
  return match ? { method: match[1], path: match[2] } : null;
}
