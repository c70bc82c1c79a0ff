// POST/GET /graphql over HTTP: CORS, JSON bodies only, cookies, then Apollo Server with each
// request's context; and how a body that cannot be read answers. Mounted by app.ts.
import type { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type ErrorRequestHandler, type Request, type RequestHandler } from 'express';
import type { Logger } from 'pino';
import type { Config } from '../config/config';
import { createContextBuilder, type Context, type ContextDeps } from '../context';
import { ErrorCode } from '../errors';

export function graphqlRoute(apollo: ApolloServer<Context>, http: Config['http'], context: ContextDeps): RequestHandler[] {
  return [
    cors({ origin: [...http.corsOrigins], credentials: true }),
    requireJsonBody,
    express.json({ limit: http.bodyLimitBytes }),
    cookieParser(),
    expressMiddleware(apollo, { context: createContextBuilder(context) }),
  ];
}

/**
 * A POST must carry JSON (SPEC §3): anything else answers 415 before Apollo sees it. That also covers
 * the text/plain and form bodies a browser sends cross-site without a preflight (CSRF).
 */
const requireJsonBody: RequestHandler = (request, response, next) => {
  if (request.method !== 'POST' || isJson(request)) return next();
  response.status(415).json({
    errors: [{ message: 'POST /graphql needs Content-Type: application/json', extensions: { code: 'BAD_REQUEST' } }],
  });
};

/**
 * `request.is('application/json')`, with the exact header GraphQL clients send tried first, before
 * type-is parses it. A body is there when type-is says so: a Transfer-Encoding or a numeric Content-Length.
 */
function isJson(request: Request): boolean {
  const { headers } = request;
  if (headers['content-type'] === 'application/json' && (headers['transfer-encoding'] !== undefined || !Number.isNaN(Number(headers['content-length'])))) {
    return true;
  }
  return Boolean(request.is('application/json'));
}

/** Body-parser failures (too large, malformed JSON) answer in GraphQL's error shape, without internals. */
export function bodyErrorHandler(logger: Logger): ErrorRequestHandler {
  return (error: { status?: unknown }, _request, response, next) => {
    if (response.headersSent) return next(error);
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'unhandled HTTP error');
    const message =
      status === 413 ? 'Request body is too large' : status === 500 ? 'Internal server error' : 'Malformed request body';
    const code = status === 500 ? ErrorCode.INTERNAL_SERVER_ERROR : 'BAD_REQUEST';
    response.status(status).json({ errors: [{ message, extensions: { code } }] });
  };
}
