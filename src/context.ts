// Builds each request's context before any resolver runs: token → verify → session check → viewer.
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { ClientInfo } from './auth/auth.service';
import { identifyCaller, type Caller, type CallerDeps } from './auth/caller';
import { accessTokenFrom, AuthCookies, refreshTokenFrom } from './auth/cookies';
import type { Viewer } from './auth/viewer';
import type { ServiceClientPrincipal } from './clients/client-authenticator';
import type { Config } from './config/config';
import { requestLogEntry, type RequestLogEntry } from './observability/request-log';

export interface Context {
  viewer: Viewer | null;
  /** A machine client's token (client credentials): no user, no session. */
  serviceClient: ServiceClientPrincipal | null;
  client: ClientInfo;
  /** The refresh_token cookie, for refresh and logout when no argument is given. */
  refreshCookie: string | undefined;
  cookies: AuthCookies;
  /** Set when this request logged someone in: in an AuthPayload the authenticated user is the viewer. */
  signedInUserId?: string;
  /** This request's log line, for the operation and viewer (observability/request-log.ts). */
  requestLog?: RequestLogEntry;
}

const NO_TOKEN: Caller = { kind: 'anonymous', reason: 'no token' };

export type ContextDeps = CallerDeps & {
  cookieSettings: Config['cookies'];
  /** TRUST_PROXY is set: the client's address comes from X-Forwarded-For, as Express reads it. */
  trustsProxy: boolean;
  logger: Logger;
};

export function createContextBuilder(deps: ContextDeps) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
    const cookies = (req.cookies ?? {}) as Record<string, unknown>;
    const token = accessTokenFrom(req.headers, cookies);
    // No token, no check: an anonymous request waits on nothing.
    const caller = token ? await identifyCaller(deps, token) : NO_TOKEN;
    if (caller.kind === 'anonymous' && token) deps.logger.debug({ reason: caller.reason }, 'request is anonymous: token refused');
    return {
      viewer: caller.kind === 'user' ? caller.viewer : null,
      serviceClient: caller.kind === 'client' ? caller.client : null,
      // With no proxy trusted Express's req.ip is the socket's address: read it without parsing X-Forwarded-For.
      client: { ip: (deps.trustsProxy ? req.ip : undefined) ?? req.socket.remoteAddress ?? '', userAgent: req.headers['user-agent'] ?? '' },
      refreshCookie: refreshTokenFrom(cookies),
      cookies: new AuthCookies(res, deps.cookieSettings),
      requestLog: requestLogEntry(req),
    };
  };
}
