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
 * Ends parsing of a request whose client went away mid-body: `pipe` passes on no such end, so
 * without this the parser, the file part and whatever stages it (a temporary file, a multipart
 * upload on S3) would wait forever (SPEC §7).
 */
export function endWithClient(req: Request, parser: busboy.Busboy): void {
  req.on('close', () => {
    if (!req.complete) parser.destroy(new Error('the client went away mid-upload'));
  });
}
