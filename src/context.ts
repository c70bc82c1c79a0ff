// Builds each request's context before any resolver runs: token → verify → session check → viewer.
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import type { AuthService, ClientInfo } from './auth/auth.service';
import { accessTokenFrom, AuthCookies, refreshTokenFrom } from './auth/cookies';
import type { Viewer } from './auth/viewer';
import type { Config } from './config/config';

export interface Context {
  viewer: Viewer | null;
  client: ClientInfo;
  /** The refresh_token cookie, for refresh and logout when no argument is given. */
  refreshCookie: string | undefined;
  cookies: AuthCookies;
  /** Set when this request logged someone in: in an AuthPayload the authenticated user is the viewer. */
  signedInUserId?: string;
}

export function createContextBuilder(deps: { auth: AuthService; cookieSettings: Config['cookies']; logger: Logger }) {
  return async ({ req, res }: { req: Request; res: Response }): Promise<Context> => {
    const cookies = (req.cookies ?? {}) as Record<string, unknown>;
    // Store failures propagate: an outage is SERVICE_UNAVAILABLE, never anonymity (SPEC §5).
    const authentication = await deps.auth.authenticate(accessTokenFrom(req.headers, cookies));
    if (!authentication.viewer && authentication.reason !== 'no token') {
      deps.logger.debug({ reason: authentication.reason }, 'request is anonymous: token refused');
    }
    return {
      viewer: authentication.viewer,
      client: { ip: req.ip ?? req.socket.remoteAddress ?? '', userAgent: req.get('user-agent') ?? '' },
      refreshCookie: refreshTokenFrom(cookies),
      cookies: new AuthCookies(res, deps.cookieSettings),
    };
  };
}
