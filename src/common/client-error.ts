import { randomUUID } from 'node:crypto';
import type { Server } from 'node:http';
import type { Socket } from 'node:net';

/**
 * Requests that Node's HTTP parser refuses (an oversized or unparsable head) never reach
 * Express; they still get a JSON:API error with an X-Request-Id (SPEC §1.3).
 */
export function answerClientErrors(server: Server): void {
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable || error.code === 'ECONNRESET') {
      socket.destroy();
      return;
    }
    const tooLarge = error.code === 'HPE_HEADER_OVERFLOW';
    const [status, title, code, detail] = tooLarge
      ? [431, 'Request header fields too large', 'HEADERS_TOO_LARGE', 'The request headers are too large']
      : [400, 'Bad request', 'REQUEST_INVALID', 'The request could not be parsed'];
    const requestId = randomUUID();
    const body = JSON.stringify({ meta: { id: requestId }, errors: [{ title, detail, code }] });
    socket.end(
      `HTTP/1.1 ${status} ${title}\r\nContent-Type: application/vnd.api+json; charset=utf-8\r\nX-Request-Id: ${requestId}\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
  });
}
