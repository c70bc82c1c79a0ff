// GET /.well-known/jwks.json (RFC 7517) and /.well-known/openid-configuration: what routers and other
// services need to verify access tokens without a shared secret. Refresh keys and HMAC secrets are
// never published: under HS256 both answer 404.
import { Router, type Request } from 'express';
import type { TokenKeys } from './keys';

/** Long enough to spare the service, short enough for a rotation: wait this long after publishing a key. */
export const JWKS_MAX_AGE_SECONDS = 300;

export interface PublicJwk {
  kty: string;
  kid: string;
  alg: string;
  use: 'sig';
  [member: string]: string;
}

/** Every access-token key still accepted, signing key first, as public JWKs (kty with crv/x/y or n/e). */
export function accessJwks(keys: TokenKeys): { keys: PublicJwk[] } {
  const published = [...keys.verifiers.access.values()].filter((key) => key.algorithm !== 'HS256');
  return {
    keys: published.map((key) => {
      const { kty, crv, x, y, n, e } = key.verificationKey.export({ format: 'jwk' });
      const members = Object.fromEntries(Object.entries({ crv, x, y, n, e }).filter(([, value]) => typeof value === 'string'));
      return { kty: kty!, ...members, kid: key.kid, alg: key.algorithm, use: 'sig' };
    }),
  };
}

export function wellKnownRouter(options: { keys: TokenKeys; issuer: string; publicUrl: string | undefined }): Router {
  const router = Router();
  const published = options.keys.access.algorithm !== 'HS256';
  const jwks = JSON.stringify(accessJwks(options.keys));
  const cacheControl = `public, max-age=${JWKS_MAX_AGE_SECONDS}`;
  const notPublished = { error: 'not_found', error_description: 'Keys are published only with JWT_ALGORITHM=RS256 or ES256' };

  router.get('/.well-known/jwks.json', (_request, response) => {
    if (!published) return void response.status(404).json(notPublished);
    response.set('cache-control', cacheControl).type('application/jwk-set+json').send(jwks);
  });
  // Only what is true: this service is no OpenID provider (no authorization endpoint, no ID tokens).
  router.get('/.well-known/openid-configuration', (request, response) => {
    if (!published) return void response.status(404).json(notPublished);
    if (!options.publicUrl) response.vary('host').vary('x-forwarded-host').vary('x-forwarded-proto');
    const base = options.publicUrl ?? requestOrigin(request);
    response.set('cache-control', cacheControl).json({ issuer: options.issuer, jwks_uri: `${base}/.well-known/jwks.json` });
  });
  return router;
}

/** Honors X-Forwarded-Proto/Host only under TRUST_PROXY (Express's req.protocol and req.host). */
function requestOrigin(request: Request): string {
  return `${request.protocol}://${request.host}`;
}
