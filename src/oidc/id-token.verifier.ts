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

/** fetch rejects with a TypeError whose cause is the socket error when the provider cannot be reached. */
export function isNetworkFailure(error: unknown): boolean {
  if (error instanceof TypeError && error.cause !== undefined) return true;
  return error instanceof DOMException && (error.name === 'TimeoutError' || error.name === 'AbortError');
}
