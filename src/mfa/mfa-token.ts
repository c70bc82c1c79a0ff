// The mfaToken (SPEC §11): proof that the password step of a login succeeded, good for 5 minutes and only
// at verifyMfa. A JWT of its own kind (typ "mfa+jwt") signed with an HKDF sub-key of the refresh signing
// key: its kid is in neither access nor refresh key ring, so it is refused as either, and they by it.
import jwt from 'jsonwebtoken';
import type { Config } from '../config/config';
import { deriveSubKey, jwkThumbprint, type TokenKeys } from '../auth/keys';
import { InvalidTokenError, newTokenId, type Clock, type IssuedToken } from '../auth/tokens';

export const MFA_TOKEN_TYPE = 'mfa+jwt';
export const MFA_TOKEN_TTL_SECONDS = 5 * 60;
const CLOCK_TOLERANCE_SECONDS = 5;
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
    let decoded: jwt.Jwt;
    try {
      decoded = jwt.verify(token, this.key, {
        algorithms: ['HS256'],
        issuer: this.options.issuer,
        audience: this.options.audience,
        clockTolerance: CLOCK_TOLERANCE_SECONDS,
        clockTimestamp: this.clock(),
        complete: true,
      });
    } catch (error) {
      throw new InvalidTokenError((error as Error).message);
    }
    const { header, payload } = decoded;
    if (header.typ !== MFA_TOKEN_TYPE) throw new InvalidTokenError(`expected typ ${MFA_TOKEN_TYPE}, got ${String(header.typ)}`);
    if (header.kid !== this.kid) throw new InvalidTokenError('unknown kid');
    if (typeof payload !== 'object' || typeof payload.exp !== 'number') throw new InvalidTokenError('token has no exp');
    for (const claim of ['sub', 'jti'] as const) {
      if (typeof payload[claim] !== 'string' || payload[claim] === '') throw new InvalidTokenError(`token has no ${claim}`);
    }
    return payload as unknown as MfaClaims;
  }
}
