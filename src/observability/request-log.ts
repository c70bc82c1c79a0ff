// One log line per HTTP request (SPEC §13): request id (X-Request-Id honoured when sane, else made, and
// returned), method, path, GraphQL operation, status, duration, viewer id and, with tracing on, the
// trace id. Never the query string, headers, body or variables: no token, password or email gets in.
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';

/** What the GraphQL layer adds to the request's line. */
export interface RequestLogEntry {
  operation?: string;
  viewerId?: string;
}

/** A caller's id is kept only if it cannot smuggle anything into a log: short, plain characters. */
const SANE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const ENTRY = Symbol('requestLogEntry');
type LoggedRequest = IncomingMessage & { [ENTRY]?: RequestLogEntry };

/**
 * The entry of this request's log line, for the context builder and the GraphQL plugin to fill in;
 * undefined when no line is written (the logger's level is above info).
 */
export function requestLogEntry(request: IncomingMessage): RequestLogEntry | undefined {
  return (request as LoggedRequest)[ENTRY];
}

export function requestLog(logger: Logger, traceId: () => string | undefined = () => undefined): RequestHandler {
  return (request, response, next) => {
    const offered = request.headers['x-request-id'];
    const requestId = typeof offered === 'string' && SANE_REQUEST_ID.test(offered) ? offered : randomUUID();
    response.setHeader('x-request-id', requestId);
    // Checked per request (a logger's level can change while it runs); below info there is no line
    // to prepare, so the request costs nothing more here.
    if (!logger.isLevelEnabled('info')) return next();
    const started = process.hrtime.bigint();
    const entry: RequestLogEntry = {};
    (request as LoggedRequest)[ENTRY] = entry;
    const trace = traceId();
    const path = request.path; // now: routers mounted further on rewrite it
    response.once('finish', () => {
      logger.info(
        {
          requestId,
          ...(trace ? { traceId: trace } : {}),
          method: request.method,
          path,
          ...(entry.operation ? { operation: entry.operation } : {}),
          status: response.statusCode,
          durationMs: Math.round(Number(process.hrtime.bigint() - started) / 1e4) / 100,
          ...(entry.viewerId ? { viewerId: entry.viewerId } : {}),
        },
        'request',
      );
    });
    next();
  };
}
