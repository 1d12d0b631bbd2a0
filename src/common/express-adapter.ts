import http from 'node:http';
import { ExpressAdapter } from '@nestjs/platform-express';

/** The options of Nest's `initHttpServer` that this adapter leaves to Nest's own server (Keyshelf uses none). */
interface ServerOptions {
  httpsOptions?: unknown;
  forceCloseConnections?: boolean;
  return503OnClosing?: boolean;
}

type ExpressInstance = http.RequestListener & { request: object; response: object };

/**
 * Nest's Express adapter, with one difference: the HTTP server builds each request and response
 * as an instance of a subclass of Node's own whose prototype is Express's (the application's
 * `request` and `response`), so that Express's step of moving every request's and response's
 * prototype to those finds them there already. Changing the prototype of objects already built
 * made each cached answer cost about twice the CPU of a bare `node:http` server (measured in the
 * bench: it slows every later property access on them); born with it, nothing is moved. Same
 * methods, same handler, same objects otherwise.
 */
export class KeyshelfExpressAdapter extends ExpressAdapter {
  override initHttpServer(options: ServerOptions): void {
    if (options?.httpsOptions || options?.forceCloseConnections || options?.return503OnClosing) {
      return super.initHttpServer(options as Parameters<ExpressAdapter['initHttpServer']>[0]);
    }
    const app = this.getInstance() as ExpressInstance;
    class Request extends http.IncomingMessage {}
    class Response extends http.ServerResponse {}
    // Express's prototypes (the application's, then Express's methods, then Node's) behind each subclass.
    Object.setPrototypeOf(Request.prototype, app.request);
    Object.setPrototypeOf(Response.prototype, app.response);
    app.request = Request.prototype;
    app.response = Response.prototype;
    this.httpServer = http.createServer({ IncomingMessage: Request, ServerResponse: Response }, app);
  }
}
