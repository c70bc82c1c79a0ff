// Access and refresh JWTs (SPEC §6): signed and verified with prebuilt KeyObjects, algorithm pinned.
import { randomBytes } from 'node:crypto';
import jwt from 'jsonwebtoken';
import type { Config } from '../config/config';
import type { Duration } from '../config/duration';
import { Role } from '../users/user';
import type { KeyRing, SigningKey, TokenKeys, VerificationKey } from './keys';
import { VerifiedTokens } from './verified-tokens';

export const ACCESS_TOKEN_TYPE = 'at+jwt';
export const REFRESH_TOKEN_TYPE = 'rt+jwt';
const CLOCK_TOLERANCE_SECONDS = 5;
const ROLES = new Set<unknown>(Object.values(Role));
/** Access tokens remembered as verified, per instance: about 10 MB at most. */
const VERIFIED_ACCESS_TOKENS = 10_000;

export interface AccessClaims {
  sub: string;
  sid: string;
  jti: string;
  role: Role;
  scope?: string;
  iat: number;
  exp: number;
}

/** A machine client's access token (issue 6): no session, no role; `sub` is "client:<client_id>". */
export interface ClientClaims {
  sub: string;
  client_id: string;
  /** The client's secret version when the token was issued: a rotation refuses older tokens. */
  ver: number;
  jti: string;
  scope: string;
  iat: number;
  exp: number;
}

export const CLIENT_SUBJECT_PREFIX = 'client:';

export interface RefreshClaims {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  exp: number;
}

export interface IssuedToken {
  token: string;
  jti: string;
  /** Seconds since the epoch. */
  expiresAt: number;
}

/** Why a token was refused; kept for logs, never shown to the client beyond UNAUTHENTICATED. */
export class InvalidTokenError extends Error {
  override readonly name = 'InvalidTokenError';
}

/** Seconds since the epoch; injectable so tests can move time. */
export type Clock = () => number;
export const systemClock: Clock = () => Math.floor(Date.now() / 1000);

export const newTokenId = (): string => randomBytes(16).toString('base64url');

export class TokenService {
  private readonly verifiedAccess = new VerifiedTokens<AccessClaims>(VERIFIED_ACCESS_TOKENS, CLOCK_TOLERANCE_SECONDS);

  constructor(
    private readonly keys: TokenKeys,
    private readonly options: Pick<Config['jwt'], 'issuer' | 'audience' | 'accessTokenTtl'> & Partial<Pick<Config['jwt'], 'roleScopes'>>,
    private readonly clock: Clock = systemClock,
  ) {}

  get accessTokenTtl(): Duration {
    return this.options.accessTokenTtl;
  }

  /** `scope` given: exactly that (e.g. a client's grant); omitted: the role's scopes from ROLE_SCOPES, if any. */
  signAccess(claims: { sub: string; sid: string; role: Role; scope?: string }): IssuedToken {
    const now = this.clock();
    const jti = newTokenId();
    const expiresAt = now + this.options.accessTokenTtl.seconds;
    const scope = claims.scope ?? this.options.roleScopes?.[claims.role].join(' ');
    const payload = { ...claims, ...(scope ? { scope } : {}), iat: now, nbf: now, exp: expiresAt, iss: this.options.issuer, aud: this.options.audience, jti };
    return { token: this.sign(payload, this.keys.access, ACCESS_TOKEN_TYPE), jti, expiresAt };
  }

  /** `expiresAt` is chosen by the session (sliding, capped by SESSION_MAX_AGE). */
  signRefresh(claims: { sub: string; sid: string }, expiresAt: number, jti = newTokenId()): IssuedToken {
    const payload = { ...claims, iat: this.clock(), exp: expiresAt, iss: this.options.issuer, aud: this.options.audience, jti };
    return { token: this.sign(payload, this.keys.refresh, REFRESH_TOKEN_TYPE), jti, expiresAt };
  }

  signClient(claims: { clientId: string; version: number; scope: string }, ttl: Duration): IssuedToken {
    const now = this.clock();
    const jti = newTokenId();
    const expiresAt = now + ttl.seconds;
    const payload = {
      sub: `${CLIENT_SUBJECT_PREFIX}${claims.clientId}`,
      client_id: claims.clientId,
      ver: claims.version,
      scope: claims.scope,
      iat: now,
      nbf: now,
      exp: expiresAt,
      iss: this.options.issuer,
      aud: this.options.audience,
      jti,
    };
    return { token: this.sign(payload, this.keys.access, ACCESS_TOKEN_TYPE), jti, expiresAt };
  }

  /** Verifies a machine client's access token; a user's access token (which has a sid) is refused. */
  verifyClient(token: string): ClientClaims {
    const { payload } = this.verify(token, this.keys.verifiers.access, ACCESS_TOKEN_TYPE, ['sub', 'jti', 'client_id']);
    if (payload.sid !== undefined || payload.role !== undefined) throw new InvalidTokenError('not a client token');
    if (payload.sub !== `${CLIENT_SUBJECT_PREFIX}${String(payload.client_id)}`) throw new InvalidTokenError('sub does not name the client');
    if (typeof payload.nbf !== 'number') throw new InvalidTokenError('access token has no nbf');
    if (typeof payload.scope !== 'string') throw new InvalidTokenError('client token has no scope');
    if (!Number.isInteger(payload.ver)) throw new InvalidTokenError('client token has no ver');
    return payload as unknown as ClientClaims;
  }

  /** A token verified before skips the decode and signature check while its key and time window still hold. */
  verifyAccess(token: string): AccessClaims {
    const now = this.clock();
    const verified = this.verifiedAccess.get(token, this.keys.verifiers.access, now);
    if (verified) return verified;
    const { payload, key } = this.verify(token, this.keys.verifiers.access, ACCESS_TOKEN_TYPE, undefined, now);
    if (typeof payload.nbf !== 'number') throw new InvalidTokenError('access token has no nbf');
    if (!ROLES.has(payload.role)) throw new InvalidTokenError('access token has no valid role');
    if (payload.scope !== undefined && typeof payload.scope !== 'string') throw new InvalidTokenError('scope is not a string');
    const claims = payload as unknown as AccessClaims;
    this.verifiedAccess.set(token, claims, key);
    return claims;
  }

  verifyRefresh(token: string): RefreshClaims {
    return this.verify(token, this.keys.verifiers.refresh, REFRESH_TOKEN_TYPE).payload as unknown as RefreshClaims;
  }

  private sign(payload: object, key: SigningKey, typ: string): string {
    return jwt.sign(payload, key.signingKey, { algorithm: key.algorithm, keyid: key.kid, header: { alg: key.algorithm, typ } });
  }

  /** The token's kid picks the key (unknown or missing: refused); the algorithm stays pinned to that key's. */
  private verify(
    token: string,
    ring: KeyRing,
    typ: string,
    required: readonly string[] = ['sub', 'sid', 'jti'],
    now = this.clock(),
  ): { payload: jwt.JwtPayload; key: VerificationKey } {
    const kid = headerKid(token);
    const key = kid === undefined ? undefined : ring.get(kid);
    if (!key) throw new InvalidTokenError('unknown kid');
    const { issuer, audience } = this.options;
    return { payload: verifyTypedJwt(token, key, { typ, issuer, audience, now, required }), key };
  }
}

export interface TypedJwtExpectations {
  /** The header's typ: one per token kind, so no kind is ever accepted as another. */
  typ: string;
  issuer: string;
  audience: string;
  /** The verifier's clock, in seconds. */
  now: number;
  /** Claims that must be non-empty strings. */
  required: readonly string[];
}

/**
 * The checks every token kind of this service shares (access, refresh, client, mfaToken): the signature
 * under the one key the caller chose, the algorithm pinned to that key's, iss, aud, exp and nbf with a
 * 5 s tolerance, the typ, and the required claims. Throws InvalidTokenError.
 */
export function verifyTypedJwt(token: string, key: Pick<VerificationKey, 'algorithm' | 'verificationKey'>, expected: TypedJwtExpectations): jwt.JwtPayload {
  let decoded: jwt.Jwt;
  try {
    decoded = jwt.verify(token, key.verificationKey, {
      algorithms: [key.algorithm],
      issuer: expected.issuer,
      audience: expected.audience,
      clockTolerance: CLOCK_TOLERANCE_SECONDS,
      clockTimestamp: expected.now,
      complete: true,
    });
  } catch (error) {
    throw new InvalidTokenError((error as Error).message);
  }
  const { header, payload } = decoded;
  if (header.typ !== expected.typ) throw new InvalidTokenError(`expected typ ${expected.typ}, got ${String(header.typ)}`);
  if (typeof payload !== 'object') throw new InvalidTokenError('payload is not a JSON object');
  if (typeof payload.exp !== 'number') throw new InvalidTokenError('token has no exp');
  for (const claim of expected.required) {
    if (typeof payload[claim] !== 'string' || payload[claim] === '') throw new InvalidTokenError(`token has no ${claim}`);
  }
  return payload;
}

/** The kid of a compact JWT's header, read without verifying anything (the signature check follows). */
export function headerKid(token: string): string | undefined {
  const end = token.indexOf('.');
  if (end <= 0) return undefined;
  try {
    const header: unknown = JSON.parse(Buffer.from(token.slice(0, end), 'base64url').toString('utf8'));
    const kid = typeof header === 'object' && header !== null ? (header as { kid?: unknown }).kid : undefined;
    return typeof kid === 'string' ? kid : undefined;
  } catch {
    return undefined;
  }
}
