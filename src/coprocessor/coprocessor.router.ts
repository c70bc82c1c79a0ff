// POST /coprocessor: revocation at the edge for Apollo Router (external coprocessing, RouterRequest
// stage). Verifies the Bearer token or access cookie and checks its session in Redis, then either
// continues with the verified claims in the router's context or ends the request with 401.
import express, { Router, type ErrorRequestHandler, type RequestHandler } from 'express';
import { parse as parseCookies } from 'cookie';
import type { Logger } from 'pino';
import { identifyCaller, type Caller, type CallerDeps } from '../auth/caller';
import { accessTokenFrom } from '../auth/cookies';
import { CLIENT_SUBJECT_PREFIX } from '../auth/tokens';
import { isIdentityHeader } from '../auth/identity-headers';
import { ErrorCode, ServiceUnavailableError } from '../errors';
import {
  breakWith,
  continueWith,
  coprocessorRequest,
  JWT_CLAIMS_KEY,
  PROTOCOL_VERSION,
  ROUTER_REQUEST,
  type VerifiedClaims,
} from './coprocessor.protocol';

export const COPROCESSOR_PATH = '/coprocessor';

export function coprocessorRouter(deps: CallerDeps & { bodyLimitBytes: number; logger: Logger }): Router {
  const router = Router();
  router.post(COPROCESSOR_PATH, express.json({ limit: deps.bodyLimitBytes }), handle(deps));
  router.use(bodyErrors(deps.logger));
  return router;
}

/** Malformed or oversized bodies are not coprocessor requests: a 4xx, which fails the client request closed. */
function bodyErrors(logger: Logger): ErrorRequestHandler {
  return (error: { status?: unknown }, _request, response, next) => {
    if (response.headersSent) return next(error);
    const status = typeof error?.status === 'number' && error.status >= 400 && error.status < 500 ? error.status : 500;
    if (status === 500) logger.error({ err: error }, 'coprocessor: unhandled error');
    response.status(status).json({ error: status === 413 ? 'body too large' : status === 500 ? 'internal error' : 'malformed body' });
  };
}

function handle(deps: CallerDeps & { logger: Logger }): RequestHandler {
  return async (request, response) => {
    const parsed = coprocessorRequest.safeParse(request.body);
    // Anything we cannot answer is a non-2xx, which the router treats as a failed coprocessor: it fails closed.
    if (!parsed.success) return void response.status(400).json({ error: 'not a coprocessor request', issues: parsed.error.issues.map((issue) => `${issue.path.join('.') || 'body'}: ${issue.message}`) });
    const call = parsed.data;
    if (call.version !== PROTOCOL_VERSION) return void response.status(400).json({ error: `unsupported coprocessor protocol version ${call.version} (this service speaks ${PROTOCOL_VERSION})` });
    if (call.stage !== ROUTER_REQUEST) return void response.status(400).json({ error: `stage ${call.stage} is not handled: configure coprocessor.router.request only` });
    if (call.id === undefined) return void response.status(400).json({ error: 'a RouterRequest needs its id' });

    const headers = lowerCased(call.headers ?? {});
    const authorization = headers.authorization?.[0];
    const token = accessTokenFrom({ authorization }, parseCookies((headers.cookie ?? []).join('; ')));
    let caller;
    try {
      caller = await identifyCaller(deps, token);
    } catch (error) {
      if (!(error instanceof ServiceUnavailableError)) throw error;
      return void response.json(breakWith(call, 503, { message: ServiceUnavailableError.MESSAGE, code: ErrorCode.SERVICE_UNAVAILABLE }));
    }
    const { [JWT_CLAIMS_KEY]: _untrusted, ...entries } = call.context?.entries ?? {};
    if (caller.kind !== 'anonymous') {
      entries[JWT_CLAIMS_KEY] = verifiedClaims(caller);
    } else if (token && authorization !== undefined) {
      // A Bearer token that fails is a claim of identity we refuse (RFC 6750 §3.1); a stale cookie only makes the
      // request anonymous, so that login and refresh still work through the router (SPEC §5).
      deps.logger.debug({ reason: caller.reason }, 'coprocessor: token refused');
      return void response.json(breakWith(call, 401, { message: 'Invalid, expired or revoked token', code: ErrorCode.UNAUTHENTICATED }));
    }
    response.json(continueWith(call, { headers: call.headers && withoutIdentityHeaders(call.headers), entries }));
  };
}

/** A user's claims name their session; a machine client's (`sub` client:<id>) have none. */
function verifiedClaims(caller: Exclude<Caller, { kind: 'anonymous' }>): VerifiedClaims {
  const { sub, sid, scopes } =
    caller.kind === 'user'
      ? { sub: caller.viewer.userId, sid: caller.viewer.sessionId, scopes: caller.viewer.scopes }
      : { sub: `${CLIENT_SUBJECT_PREFIX}${caller.client.clientId}`, sid: undefined, scopes: caller.client.scopes };
  return { sub, ...(sid ? { sid } : {}), ...(scopes.length > 0 ? { scope: scopes.join(' ') } : {}) };
}

function lowerCased(headers: Record<string, string[]>): Record<string, string[] | undefined> {
  return Object.fromEntries(Object.entries(headers).map(([name, values]) => [name.toLowerCase(), values]));
}

/** Identity headers the client sent never reach the subgraphs. */
function withoutIdentityHeaders(headers: Record<string, string[]>): Record<string, string[]> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => !isIdentityHeader(name)));
}
