import { Readable } from 'node:stream';
import type busboy from 'busboy';
import type { Request } from 'express';
import { Errors } from '../common/errors.js';
import { endWithClient, guardFilePart, multipartInvalid, multipartParser } from '../common/multipart.js';

/** What the generic PUT stores: the raw body, or a multipart body's first file part (SPEC §6.3). */
export interface UploadBody {
  bytes: Readable;
  /** Content-Length of a raw body, so that an upload over the limit is refused before it is read. */
  declaredSize?: number;
}

/** Fields of a form are small; nothing but the first file part is kept. */
const FORM_LIMITS = { files: 1, fieldSize: 64 * 1024, fields: 100 };

export function uploadBody(req: Request): UploadBody {
  if (req.is('multipart/form-data')) return { bytes: firstFilePart(req) };
  const length = req.headers['content-length'];
  return { bytes: req, ...(length !== undefined && /^\d+$/.test(length) ? { declaredSize: Number(length) } : {}) };
}

/**
 * The first file part of a multipart/form-data body, streamed with backpressure through busboy.
 * Parsing starts when the stream is first read, so a publish refused before reading (409, 413)
 * reads nothing; later parts are skipped by the parser.
 */
function firstFilePart(req: Request): Readable {
  let started = false;
  let file: Readable | null = null;
  const part = new Readable({
    read() {
      if (file) {
        file.resume();
        return;
      }
      if (started) return;
      started = true;
      let parser: busboy.Busboy;
      try {
        parser = multipartParser(req, FORM_LIMITS);
      } catch (error) {
        part.destroy(error as Error);
        return;
      }
      parser.on('file', (_field, stream) => {
        file = guardFilePart(stream);
        stream.on('data', (chunk: Buffer) => {
          if (!part.push(chunk)) stream.pause();
        });
        stream.on('end', () => part.push(null));
      });
      parser.on('close', () => {
        if (!file) part.destroy(Errors.badRequest('FILE_MISSING', 'The multipart body has no file part'));
      });
      parser.on('error', (error: Error) => part.destroy(multipartInvalid(error.message)));
      endWithClient(req, parser);
      req.pipe(parser);
    },
  });
  return part;
}
