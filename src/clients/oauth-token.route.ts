// POST /oauth/token: the OAuth 2.0 client-credentials grant (RFC 6749 §4.4) for tools that expect
// it. Client authentication by HTTP Basic (§2.3.1) or client_id/client_secret in the form body;
// success and error bodies as §5.1/§5.2 (plus "rate_limited", 429, as an extension code).
import express, { type ErrorRequestHandler, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { RateLimitedError, ServiceUnavailableError } from '../errors';
import { ClientDisabledError, InvalidClientError, ScopeNotAllowedError } from './client-errors';
import type { ClientCredentialsService } from './client-credentials.service';

const REALM = 'Basic realm="portcullis"';

class OAuthError extends Error {
  constructor(
    readonly status: number,
    readonly error: string,
    readonly description: string,
  ) {
    super(description);
  }
}

export function oauthTokenRouter(credentials: ClientCredentialsService, logger: Pick<Logger, 'error'>): Router {
  const router = express.Router();
  router.post('/oauth/token', express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), (request, response) => {
    response.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' });
    void handle(credentials, request)
      .then((body) => response.status(200).json(body))
      .catch((error: unknown) => answerError(response, error, logger));
  });
  router.all('/oauth/token', (_request, response) => {
    response.set('Allow', 'POST');
    answer(response, new OAuthError(405, 'invalid_request', 'The token endpoint only accepts POST'));
  });
  const malformed: ErrorRequestHandler = (error: { status?: number }, request, response, next) => {
    if (request.path !== '/oauth/token' || response.headersSent) return next(error);
    answer(response, new OAuthError(error.status === 413 ? 413 : 400, 'invalid_request', 'Malformed request body'));
  };
  router.use(malformed);
  return router;
}

async function handle(credentials: ClientCredentialsService, request: Request) {
  if (!request.is('application/x-www-form-urlencoded')) {
    throw new OAuthError(400, 'invalid_request', 'Content-Type must be application/x-www-form-urlencoded');
  }
  const body = (request.body ?? {}) as Record<string, unknown>;
  const param = (name: string): string | undefined => {
    const value = body[name];
    if (Array.isArray(value)) throw new OAuthError(400, 'invalid_request', `Parameter ${name} is repeated`);
    return typeof value === 'string' && value !== '' ? value : undefined;
  };
  const grantType = param('grant_type');
  if (!grantType) throw new OAuthError(400, 'invalid_request', 'grant_type is required');
  if (grantType !== 'client_credentials') throw new OAuthError(400, 'unsupported_grant_type', 'Only grant_type=client_credentials is supported');

  const basic = basicCredentials(request.get('authorization'));
  const inBody = param('client_id') !== undefined || param('client_secret') !== undefined;
  if (basic && inBody) throw new OAuthError(400, 'invalid_request', 'Use one client authentication method, not both');
  const clientId = basic?.id ?? param('client_id');
  const clientSecret = basic?.secret ?? param('client_secret');
  if (!clientId || !clientSecret) throw new InvalidClientError();

  const scope = param('scope');
  const issued = await credentials.issue(
    { clientId, clientSecret, scopes: scope ? scope.split(' ').filter(Boolean) : null },
    { ip: request.ip ?? request.socket.remoteAddress ?? '', userAgent: request.get('user-agent') ?? '' },
  );
  return { access_token: issued.accessToken, token_type: 'Bearer', expires_in: issued.expiresIn, scope: issued.scopes.join(' ') };
}

/** RFC 6749 §2.3.1: the id and secret are form-urlencoded, then joined by ":" and base64-encoded. */
function basicCredentials(header: string | undefined): { id: string; secret: string } | undefined {
  const match = header ? /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header) : null;
  if (!match) {
    if (header && /^Basic\b/i.test(header)) throw new InvalidClientError();
    return undefined;
  }
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon < 0) throw new InvalidClientError();
  try {
    const unescape = (text: string) => decodeURIComponent(text.replace(/\+/g, ' '));
    return { id: unescape(decoded.slice(0, colon)), secret: unescape(decoded.slice(colon + 1)) };
  } catch {
    throw new InvalidClientError();
  }
}

function answerError(response: Response, error: unknown, logger: Pick<Logger, 'error'>): void {
  if (error instanceof OAuthError) return answer(response, error);
  if (error instanceof InvalidClientError || error instanceof ClientDisabledError) {
    response.set('WWW-Authenticate', REALM);
    return answer(response, new OAuthError(401, 'invalid_client', error.message));
  }
  if (error instanceof ScopeNotAllowedError) return answer(response, new OAuthError(400, 'invalid_scope', error.message));
  if (error instanceof RateLimitedError) {
    response.set('Retry-After', String(error.retryAfterSeconds));
    return answer(response, new OAuthError(429, 'rate_limited', error.message));
  }
  if (error instanceof ServiceUnavailableError) {
    response.set('Retry-After', '1');
    return answer(response, new OAuthError(503, 'temporarily_unavailable', ServiceUnavailableError.MESSAGE));
  }
  logger.error({ err: error }, 'token endpoint failed');
  answer(response, new OAuthError(500, 'server_error', 'Internal server error'));
}

function answer(response: Response, error: OAuthError): void {
  response.status(error.status).json({ error: error.error, error_description: error.description });
}
