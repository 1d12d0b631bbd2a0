import { type CallHandler, type ExecutionContext, Injectable, type NestInterceptor } from '@nestjs/common';
import type { Request, Response } from 'express';
import { map, type Observable } from 'rxjs';
import { JsonApiDocument } from './jsonapi.js';
import { jsonApiMediaType } from './media-type.js';

/** Writes JsonApiDocument results with their status, headers and the negotiated media type. */
@Injectable()
export class JsonApiInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const http = context.switchToHttp();
    const req = http.getRequest<Request>();
    const res = http.getResponse<Response>();
    return next.handle().pipe(
      map((result: unknown) => (result instanceof JsonApiDocument ? prepareDocument(req, res, result) : result)),
    );
  }
}

/** Sets a document's status and headers with the negotiated media type; returns the body to send. */
export function prepareDocument(req: Request, res: Response, document: JsonApiDocument): JsonApiDocument['body'] {
  res.status(document.status);
  for (const [name, value] of Object.entries(document.headers)) res.setHeader(name, value);
  res.setHeader('Content-Type', jsonApiMediaType(req));
  return document.body;
}
