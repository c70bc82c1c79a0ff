// The browser side of provider sign-in (SPEC §12): GET /auth/oidc lists the providers for a login page,
// /auth/oidc/<id>/start sends the browser to the provider, /auth/oidc/<id>/callback brings it back
// signed in (the cookies of §6) or with ?error=<code>. Never a stack or a 500: every failure is a code.
import cookieParser from 'cookie-parser';
import cors from 'cors';
import express, { type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { accessTokenFrom, AuthCookies } from '../auth/cookies';
import type { SessionAuthenticator } from '../auth/session-authenticator';
import type { Config } from '../config/config';
import { OidcErrorCode, oidcErrorCode } from './oidc-error';
import type { OidcProviderRegistry } from './oidc-provider.registry';
import { FLOW_TTL_SECONDS, type OidcSignInService } from './oidc-sign-in.service';
import { allowedRedirect, withError } from './redirect-target';

/** Binds a started flow to the browser that started it: the callback's state must equal it. */
export const FLOW_COOKIE = 'oidc_state';

export interface OidcRouterDeps {
  registry: OidcProviderRegistry;
  signIn: OidcSignInService;
  users: SessionAuthenticator;
  config: Pick<Config, 'appUrl' | 'cookies'> & { http: Pick<Config['http'], 'corsOrigins'> };
  logger: Logger;
}

export function oidcRouter(deps: OidcRouterDeps): Router {
  const { registry, signIn, config, logger } = deps;
  const router = express.Router();
  const allowList = { appUrl: config.appUrl, corsOrigins: config.http.corsOrigins };
  const requester = (request: Request) => ({ ip: request.ip ?? request.socket.remoteAddress ?? '', userAgent: request.get('user-agent') ?? '' });
  const flowCookie = (id: string) => ({
    httpOnly: true,
    secure: config.cookies.secure,
    // Lax whatever COOKIE_SAMESITE says: the provider's redirect back is a cross-site top-level navigation.
    sameSite: 'lax' as const,
    path: `/auth/oidc/${id}/callback`,
  });
  const viewerId = async (request: Request): Promise<string | null> => {
    const token = accessTokenFrom({}, (request.cookies ?? {}) as Record<string, unknown>); // a browser navigation: cookie only
    return (await deps.users.authenticate(token)).viewer?.userId ?? null;
  };

  router.use('/auth/oidc', cookieParser(), (_request, response, next) => {
    response.set('Cache-Control', 'no-store');
    response.set('Referrer-Policy', 'no-referrer'); // the callback URL carries the code
    next();
  });

  // A login page on the web app's origin reads the list with fetch; the sign-in itself is a navigation.
  router.get('/auth/oidc', cors({ origin: [new URL(config.appUrl).origin, ...config.http.corsOrigins] }), (_request, response) => {
    response.json({ providers: registry.list() });
  });

  router.get('/auth/oidc/:id/start', async (request: Request<{ id: string }>, response: Response) => {
    const { id } = request.params;
    if (!registry.settings(id)) return void response.status(404).json({ error: 'unknown_provider', message: `No provider "${id}" is configured` });
    const redirectTo = allowedRedirect(request.query.redirect_to, allowList);
    if (!redirectTo) {
      return void response.status(400).json({ error: 'invalid_redirect', message: "redirect_to must be on APP_URL's origin or one of CORS_ORIGINS" });
    }
    try {
      let linkUserId: string | undefined;
      if (request.query.link === '1') {
        linkUserId = (await viewerId(request)) ?? undefined;
        if (!linkUserId) return void response.redirect(302, withError(redirectTo, OidcErrorCode.NOT_SIGNED_IN));
      }
      const { url, state } = await signIn.start(id, { redirectTo, linkUserId }, requester(request));
      response.cookie(FLOW_COOKIE, state, { ...flowCookie(id), maxAge: FLOW_TTL_SECONDS * 1000 });
      response.redirect(302, url.toString());
    } catch (error) {
      const code = oidcErrorCode(error);
      if (code === OidcErrorCode.SERVER_ERROR) logger.error({ err: error, provider: id }, 'OpenID sign-in could not start');
      response.redirect(302, withError(redirectTo, code));
    }
  });

  router.get('/auth/oidc/:id/callback', async (request: Request<{ id: string }>, response: Response) => {
    const { id } = request.params;
    if (!registry.settings(id)) return void response.status(404).json({ error: 'unknown_provider', message: `No provider "${id}" is configured` });
    response.clearCookie(FLOW_COOKIE, flowCookie(id));
    try {
      const query = new URLSearchParams(request.originalUrl.split('?')[1] ?? '');
      const bound = (request.cookies as Record<string, unknown> | undefined)?.[FLOW_COOKIE];
      const viewer = request.cookies?.access_token ? await viewerId(request) : null;
      const outcome = await signIn.callback(id, query, typeof bound === 'string' ? bound : undefined, viewer, requester(request));
      if (outcome.kind === 'failed') return void response.redirect(302, withError(outcome.redirectTo ?? config.appUrl, outcome.code));
      if (outcome.kind === 'signed-in') new AuthCookies(response, config.cookies).set(outcome.result);
      response.redirect(302, outcome.redirectTo);
    } catch (error) {
      // Only the viewer lookup can get here (the callback itself answers every failure with a code).
      const code = oidcErrorCode(error);
      if (code === OidcErrorCode.SERVER_ERROR) logger.error({ err: error, provider: id }, 'OpenID callback failed');
      response.redirect(302, withError(config.appUrl, code));
    }
  });

  return router;
}
