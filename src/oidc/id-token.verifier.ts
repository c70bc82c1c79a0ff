// signInWithIdToken's check of a provider's ID token (SPEC §12), for native and mobile apps that ran the
// provider's flow themselves: signature by the provider's JWKS (asymmetric algorithms it advertises
// only), iss, aud among OIDC_<ID>_AUDIENCES, exp, and the nonce when the app gives one.
import { errors, jwtVerify, type JWTPayload } from 'jose';
import { ServiceUnavailableError } from '../errors';
import { OidcError, OidcErrorCode } from './oidc-error';
import type { DiscoveredProvider } from './oidc-provider.registry';

const CLOCK_TOLERANCE_SECONDS = 5;

export async function verifyIdToken(provider: DiscoveredProvider, idToken: string, nonce: string | undefined): Promise<JWTPayload> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(idToken, provider.jwks, {
      issuer: provider.client.serverMetadata().issuer,
      audience: [...provider.settings.audiences],
      algorithms: provider.algorithms,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      requiredClaims: ['sub', 'exp', 'iat'],
    }));
  } catch (error) {
    if (error instanceof errors.JWKSTimeout || isNetworkFailure(error)) throw new ServiceUnavailableError('identity provider', error);
    if (error instanceof errors.JOSEError) throw new OidcError(OidcErrorCode.INVALID_TOKEN, error.code);
    throw error;
  }
  // With several audiences, the party it was issued to (azp) must be one of ours too (OpenID Connect Core 3.1.3.7).
  if (Array.isArray(payload.aud) && payload.aud.length > 1 && !provider.settings.audiences.includes(String(payload.azp))) {
    throw new OidcError(OidcErrorCode.INVALID_TOKEN, 'azp is not one of our audiences');
  }
  if (nonce !== undefined && payload.nonce !== nonce) throw new OidcError(OidcErrorCode.INVALID_TOKEN, 'nonce mismatch');
  return payload;
}

/**
 * The provider could not be reached: fetch rejects with a TypeError whose cause is the socket error, or a
 * time-out; the libraries may wrap either (openid-client's "something went wrong" keeps it as the cause).
 */
export function isNetworkFailure(error: unknown): boolean {
  // By name, not instanceof: fetch's errors may come from another realm (test sandboxes, workers).
  for (let current: unknown = error, depth = 0; current && depth < 5; depth += 1) {
    const { name, code, cause } = current as { name?: unknown; code?: unknown; cause?: unknown };
    if (name === 'TypeError' && cause !== undefined) return true;
    if (name === 'TimeoutError' || name === 'AbortError' || code === 'OAUTH_TIMEOUT' || code === 'OAUTH_ABORT') return true;
    current = cause;
  }
  return false;
}
