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
      map((result: unknown) => {
        if (!(result instanceof JsonApiDocument)) return result;
        res.status(result.status);
        for (const [name, value] of Object.entries(result.headers)) res.setHeader(name, value);
        res.setHeader('Content-Type', jsonApiMediaType(req));
        return result.body;
      }),
    );
  }
}
