// Builds each request's context before any resolver runs: token → verify → session check → viewer.
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { AuthService, ClientInfo } from './auth/auth.service';
import { accessTokenFrom, AuthCookies, refreshTokenFrom } from './auth/cookies';
import type { Viewer } from './auth/viewer';
import type { ClientAuthenticator, ServiceClientPrincipal } from './clients/client-authenticator';
import type { Config } from './config/config';

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
}

export function createContextBuilder(deps: {
  auth: AuthService;
  clients?: ClientAuthenticator;
  cookieSettings: Config['cookies'];
  logger: Logger;
}) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
    const cookies = (req.cookies ?? {}) as Record<string, unknown>;
    // Store failures propagate: an outage is SERVICE_UNAVAILABLE, never anonymity (SPEC §5).
    const token = accessTokenFrom(req.headers, cookies);
    const authentication = await deps.auth.authenticate(token);
    // Not a user's token: it may be a machine client's (checked only then, off the users' hot path).
    const machine = !authentication.viewer && token && deps.clients ? await deps.clients.authenticate(token) : null;
    if (!authentication.viewer && !machine?.principal && authentication.reason !== 'no token') {
      deps.logger.debug({ reason: authentication.reason, client: machine?.principal === null ? machine.reason : undefined }, 'request is anonymous: token refused');
    }
    return {
      viewer: authentication.viewer,
      serviceClient: machine?.principal ?? null,
      client: { ip: req.ip ?? req.socket.remoteAddress ?? '', userAgent: req.get('user-agent') ?? '' },
      refreshCookie: refreshTokenFrom(cookies),
      cookies: new AuthCookies(res, deps.cookieSettings),
    };
  };
}
