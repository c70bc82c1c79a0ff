// Token builders for forged tokens (after graphql-yoga's buildJWT): header and payload are encoded
// exactly as given, so a test can omit claims, pick any alg, or add jwk/jku/kid headers.
import { createHmac, randomBytes, sign, type KeyObject } from 'node:crypto';
import type { SigningKey } from '../../src/auth/keys';
import type { Config } from '../../src/config/config';

export type SignatureAlgorithm = 'HS256' | 'RS256' | 'ES256' | 'none';

export interface BuildJwtOptions {
  header: Record<string, unknown>;
  /** Any JSON value: tests may send arrays, strings or null where an object belongs. */
  payload: unknown;
  /** null or absent: the signature segment is left empty. */
  key?: KeyObject | null;
  /** How to sign; by default header.alg when it names a supported algorithm, else the key's kind. */
  alg?: SignatureAlgorithm;
  /** Encoded segments used as they are instead of header/payload (e.g. a payload that is not JSON). */
  segments?: { header?: string; payload?: string };
}

export const base64url = (text: string | Buffer): string => Buffer.from(text).toString('base64url');

export function buildJwt({ header, payload, key = null, alg, segments = {} }: BuildJwtOptions): string {
  const encodedHeader = segments.header ?? base64url(JSON.stringify(header));
  const encodedPayload = segments.payload ?? base64url(JSON.stringify(payload));
  const signingInput = `${encodedHeader}.${encodedPayload}`;
  if (!key) return `${signingInput}.`;
  const method = alg ?? algorithmFor(header, key);
  return `${signingInput}.${signature(signingInput, key, method)}`;
}

function algorithmFor(header: Record<string, unknown>, key: KeyObject): SignatureAlgorithm {
  if (header.alg === 'HS256' || header.alg === 'RS256' || header.alg === 'ES256') return header.alg;
  if (key.type === 'secret') return 'HS256';
  return key.asymmetricKeyType === 'ec' ? 'ES256' : 'RS256';
}

function signature(signingInput: string, key: KeyObject, alg: SignatureAlgorithm): string {
  switch (alg) {
    case 'none':
      return '';
    case 'HS256':
      return createHmac('sha256', key).update(signingInput).digest('base64url');
    case 'RS256':
      return sign('sha256', Buffer.from(signingInput), key).toString('base64url');
    case 'ES256':
      // JWS wants r || s (RFC 7518 §3.4), not DER.
      return sign('sha256', Buffer.from(signingInput), { key, dsaEncoding: 'ieee-p1363' }).toString('base64url');
  }
}

/** The header the service itself puts on its tokens: its algorithm, the typ, and the key's kid. */
export function headerFor(key: SigningKey, typ: 'at+jwt' | 'rt+jwt' | (string & {})): Record<string, unknown> {
  return { alg: key.algorithm, typ, kid: key.kid };
}

export const nowSeconds = (): number => Math.floor(Date.now() / 1000);

export interface AccessClaimsBaseline {
  sub: string;
  sid: string;
  jti: string;
  iat: number;
  nbf: number;
  exp: number;
  iss: string;
  aud: string;
  role: string;
  [claim: string]: unknown;
}

/**
 * Valid access claims for this server (issuer, audience, 15 minutes from now, the USER role's scopes
 * from ROLE_SCOPES). Overrides win; an override of `undefined` drops the claim from the encoded token
 * (JSON.stringify omits it).
 */
export function claimsFor(
  server: { config: Config },
  claims: { sub: string; sid: string } & Record<string, unknown>,
): AccessClaimsBaseline {
  const now = nowSeconds();
  return {
    jti: randomBytes(16).toString('base64url'),
    iat: now,
    nbf: now,
    exp: now + server.config.jwt.accessTokenTtl.seconds,
    iss: server.config.jwt.issuer,
    aud: server.config.jwt.audience,
    role: 'USER',
    scope: server.config.jwt.roleScopes.USER.join(' '),
    ...claims,
  };
}

/** A token signed with one of the server's own keys: valid unless the claims or header say otherwise. */
export function signWith(key: SigningKey, payload: unknown, header: Record<string, unknown> = headerFor(key, 'at+jwt')): string {
  return buildJwt({ header, payload, key: key.signingKey, alg: key.algorithm });
}

export interface DecodedJwt {
  header: Record<string, any>;
  payload: Record<string, any>;
}

/** Reads a compact JWT without verifying it. */
export function decodeJwt(token: string): DecodedJwt {
  const [header, payload] = token.split('.');
  if (header === undefined || payload === undefined) throw new Error(`not a compact JWT: ${token}`);
  return {
    header: JSON.parse(Buffer.from(header, 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')),
  };
}
