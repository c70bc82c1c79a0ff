// GET /.well-known/jwks.json (RFC 7517) and /.well-known/openid-configuration: what routers and other
// services need to verify access tokens without a shared secret. Refresh keys and HMAC secrets are
// never published: under HS256 both answer 404.
import { Router } from 'express';
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

const KEYS_NOT_PUBLISHED = 'Keys are published only with JWT_ALGORITHM=RS256 or ES256';

export interface WellKnownOptions {
  keys: TokenKeys;
  issuer: string;
  publicUrl: string | undefined;
}

/**
 * Why the discovery document is not served, or undefined when it is. OpenID Connect Discovery §3 wants
 * `issuer` to be an https URL with no query or fragment, equal to the tokens' `iss`; and `jwks_uri`
 * comes from PUBLIC_URL only: built from the Host header it would let one request poison a cache.
 */
export function discoveryUnavailable(options: WellKnownOptions): string | undefined {
  if (options.keys.access.algorithm === 'HS256') return KEYS_NOT_PUBLISHED;
  if (!isIssuerUrl(options.issuer)) return 'Discovery is served only when JWT_ISSUER is an https URL (like https://auth.example.com)';
  if (!options.publicUrl) return 'Discovery is served only when PUBLIC_URL is set (the base of jwks_uri)';
  return undefined;
}

function isIssuerUrl(issuer: string): boolean {
  try {
    const url = new URL(issuer);
    return url.protocol === 'https:' && !issuer.includes('?') && !issuer.includes('#');
  } catch {
    return false;
  }
}

export function wellKnownRouter(options: WellKnownOptions): Router {
  const router = Router();
  const published = options.keys.access.algorithm !== 'HS256';
  const jwks = JSON.stringify(accessJwks(options.keys));
  const cacheControl = `public, max-age=${JWKS_MAX_AGE_SECONDS}`;
  const notFound = (description: string) => ({ error: 'not_found', error_description: description });
  const unavailable = discoveryUnavailable(options);
  // Built once from configuration: nothing in a request can change it.
  const discovery = JSON.stringify({ issuer: options.issuer, jwks_uri: `${options.publicUrl}/.well-known/jwks.json` });

  router.get('/.well-known/jwks.json', (_request, response) => {
    if (!published) return void response.status(404).json(notFound(KEYS_NOT_PUBLISHED));
    response.set('cache-control', cacheControl).type('application/jwk-set+json').send(jwks);
  });
  // Only what is true: this service is no OpenID provider (no authorization endpoint, no ID tokens).
  router.get('/.well-known/openid-configuration', (_request, response) => {
    if (unavailable) return void response.status(404).json(notFound(unavailable));
    response.set('cache-control', cacheControl).type('application/json').send(discovery);
  });
  return router;
}
