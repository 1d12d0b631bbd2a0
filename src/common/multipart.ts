import type { Readable } from 'node:stream';
import busboy from 'busboy';
import type { Request } from 'express';
import { DomainError } from './errors.js';

/** A multipart body that cannot be read as one: a client error, never a 5xx (SPEC §1.3). */
export const multipartInvalid = (detail: string) => new DomainError(400, 'BODY_INVALID', `The multipart/form-data body could not be read: ${detail}`);

/**
 * The one way the engines open a multipart/form-data body. Filenames are kept as the client sent
 * them (`preservePath`): busboy's default cuts everything up to the last `/` or `\`, which would
 * accept `../../x-1.0.tar.gz` silently under another name; the core's filename rule refuses it.
 * A head busboy cannot read (no boundary, another media type) is a 400.
 */
export function multipartParser(req: Request, limits: busboy.Limits): busboy.Busboy {
  try {
    return busboy({ headers: req.headers, limits, preservePath: true, defParamCharset: 'utf8' });
  } catch (error) {
    throw multipartInvalid((error as Error).message);
  }
}

/**
 * A file part's stream errors when the body ends early or the parser is destroyed, possibly
 * before its consumer is attached; an error without a listener would end the process. The
 * consumer sees the error through its own pipeline; this listener only keeps the process up.
 */
export function guardFilePart(stream: Readable): Readable {
  stream.on('error', () => undefined);
  return stream;
}

/**
 * Ends parsing of a request whose client went away before the body was read to its end: `pipe`
 * passes on no such end, so without this the parser, the file part and whatever stages it (a
 * temporary file, a multipart upload on S3) would wait forever (SPEC §7). Parsing may start late
 * (after the lookups that decide whether the body is read at all), when the request is already
 * destroyed and its 'close' has already fired: a destroyed request delivers nothing more, even
 * bytes that had arrived, so the parser ends at once as for a client gone.
 */
export function endWithClient(req: Request, parser: busboy.Busboy): void {
  const gone = () => parser.destroy(new Error('the client went away before the body was read'));
  if (clientGone(req)) {
    process.nextTick(gone);
    return;
  }
  req.on('close', () => {
    if (!req.readableEnded) gone();
  });
}

/** The request can deliver no more of its body: destroyed (the socket closed) before it was read to its end. */
export function clientGone(req: Request): boolean {
  if (req.readableEnded) return false;
  return req.destroyed || (!req.complete && Boolean(req.socket?.destroyed));
}
