// The mfaToken (SPEC §11): proof that the password step of a login succeeded, good for 5 minutes and only
// at verifyMfa. A JWT of its own kind (typ "mfa+jwt") signed with an HKDF sub-key of the refresh signing
// key: its kid is in neither access nor refresh key ring, so it is refused as either, and they by it.
import jwt from 'jsonwebtoken';
import type { Config } from '../config/config';
import { deriveSubKey, jwkThumbprint, type TokenKeys } from '../auth/keys';
import { headerKid, InvalidTokenError, newTokenId, verifyTypedJwt, type Clock, type IssuedToken } from '../auth/tokens';

export const MFA_TOKEN_TYPE = 'mfa+jwt';
export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
/** Changing the label voids every mfaToken in flight (they live 5 minutes). */
const MFA_KEY_LABEL = 'portcullis mfa token v1';

export interface MfaClaims {
  sub: string;
  jti: string;
  iat: number;
  exp: number;
}

export class MfaTokenService {
  private readonly key;
  private readonly kid: string;

  constructor(
    keys: TokenKeys,
    private readonly options: Pick<Config['jwt'], 'issuer' | 'audience'>,
    private readonly clock: Clock,
  ) {
    this.key = deriveSubKey(keys.refresh, MFA_KEY_LABEL);
    this.kid = `mfa-${jwkThumbprint(this.key).slice(0, 16)}`;
  }

  sign(userId: string): IssuedToken {
    const now = this.clock();
    const jti = newTokenId();
    const expiresAt = now + MFA_TOKEN_TTL_SECONDS;
    const payload = { sub: userId, jti, iat: now, nbf: now, exp: expiresAt, iss: this.options.issuer, aud: this.options.audience };
    const token = jwt.sign(payload, this.key, { algorithm: 'HS256', keyid: this.kid, header: { alg: 'HS256', typ: MFA_TOKEN_TYPE } });
    return { token, jti, expiresAt };
  }

  /** Throws InvalidTokenError for anything but a live mfaToken of this service. */
  verify(token: string): MfaClaims {
    if (headerKid(token) !== this.kid) throw new InvalidTokenError('unknown kid');
    const { issuer, audience } = this.options;
    const expected = { typ: MFA_TOKEN_TYPE, issuer, audience, now: this.clock(), required: ['sub', 'jti'] };
    return verifyTypedJwt(token, { algorithm: 'HS256', verificationKey: this.key }, expected) as unknown as MfaClaims;
  }
}
