// Signing keys as KeyObjects built once, named by their RFC 7638 thumbprint (the `kid`), and the
// key sets a token kind is verified with (the active key plus those kept for rotation).
import { createHash, createPrivateKey, createPublicKey, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';

export const ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

/** A key tokens are checked with: an HMAC secret, or the public half of a key pair. */
export interface VerificationKey {
  readonly algorithm: Algorithm;
  readonly kid: string;
  readonly verificationKey: KeyObject;
}

/** The active key of a token kind: every new token is signed with it. */
export interface SigningKey extends VerificationKey {
  readonly signingKey: KeyObject;
}

/** Every key a token kind is accepted with, by kid; built once, looked up per request. */
export type KeyRing = ReadonlyMap<string, VerificationKey>;

export interface TokenKeys {
  /** The active signing keys. */
  readonly access: SigningKey;
  readonly refresh: SigningKey;
  /** The signing key first, then the keys published for a rotation (next or retiring ones). */
  readonly verifiers: { readonly access: KeyRing; readonly refresh: KeyRing };
}

export const MIN_SECRET_BYTES = 32;

/** RFC 7638: SHA-256 over the required JWK members in lexicographic order. */
export function jwkThumbprint(key: KeyObject): string {
  const jwk = key.export({ format: 'jwk' });
  const members =
    jwk.kty === 'EC'
      ? { crv: jwk.crv, kty: jwk.kty, x: jwk.x, y: jwk.y }
      : jwk.kty === 'RSA'
        ? { e: jwk.e, kty: jwk.kty, n: jwk.n }
        : { k: jwk.k, kty: jwk.kty };
  return createHash('sha256').update(JSON.stringify(members)).digest('base64url');
}

export function secretSigningKey(secret: string): SigningKey {
  const bytes = Buffer.from(secret, 'utf8');
  if (bytes.length < MIN_SECRET_BYTES) {
    throw new Error(`must be at least ${MIN_SECRET_BYTES} bytes (got ${bytes.length})`);
  }
  const key = createSecretKey(bytes);
  return { algorithm: 'HS256', kid: jwkThumbprint(key), signingKey: key, verificationKey: key };
}

/**
 * A 256-bit key for another use of a signing key's secret material (HKDF-SHA256, RFC 5869), one per
 * label: a sub-key reveals nothing of the signing key, and sub-keys of different labels nothing of each other.
 */
export function deriveSubKey(key: SigningKey, label: string): KeyObject {
  const secret = key.signingKey;
  const material = secret.type === 'secret' ? secret.export() : secret.export({ format: 'der', type: 'pkcs8' });
  return createSecretKey(Buffer.from(hkdfSync('sha256', material, Buffer.alloc(0), label, 32)));
}

/** Builds an asymmetric key pair from PEM text; the public key is derived when not given. */
export function pemSigningKey(algorithm: 'RS256' | 'ES256', privatePem: string, publicPem?: string): SigningKey {
  const privateKey = createPrivateKey(privatePem);
  const publicKey = publicPem ? createPublicKey(publicPem) : createPublicKey(privateKey);
  const derived = createPublicKey(privateKey).export({ format: 'jwk' });
  if (JSON.stringify(derived) !== JSON.stringify(publicKey.export({ format: 'jwk' }))) {
    throw new Error('the public key does not belong to the private key');
  }
  checkFitsAlgorithm(algorithm, privateKey, 'private');
  return { algorithm, kid: jwkThumbprint(publicKey), signingKey: privateKey, verificationKey: publicKey };
}

/** A verification-only key from one PEM public key; a private key is refused (it does not belong in a public list). */
export function pemVerificationKey(algorithm: 'RS256' | 'ES256', publicPem: string): VerificationKey {
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(publicPem)) {
    throw new Error('holds a private key: list only public keys here (openssl pkey -in key.pem -pubout)');
  }
  const publicKey = createPublicKey(publicPem);
  checkFitsAlgorithm(algorithm, publicKey, 'public');
  return { algorithm, kid: jwkThumbprint(publicKey), verificationKey: publicKey };
}

function checkFitsAlgorithm(algorithm: 'RS256' | 'ES256', key: KeyObject, half: 'private' | 'public'): void {
  if (algorithm === 'RS256') {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    if (key.asymmetricKeyType !== 'rsa' || bits < 2048) throw new Error(`RS256 needs an RSA ${half} key of at least 2048 bits`);
  } else if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error(`ES256 needs an EC ${half} key on the P-256 curve`);
  }
}

/**
 * Assembles both key rings. Throws when one key would serve both token kinds: a refresh token must
 * never verify as an access token, whatever kid it names.
 */
export function tokenKeys(
  access: SigningKey,
  refresh: SigningKey,
  extra: { access?: readonly VerificationKey[]; refresh?: readonly VerificationKey[] } = {},
): TokenKeys {
  const ring = (active: SigningKey, others: readonly VerificationKey[] = []): KeyRing =>
    new Map([active, ...others].map((key) => [key.kid, key] as const));
  const accessRing = ring(access, extra.access);
  const refreshRing = ring(refresh, extra.refresh);
  const shared = [...accessRing.keys()].filter((kid) => refreshRing.has(kid));
  if (shared.length > 0) throw new Error(`the same key is configured for access and refresh tokens (kid ${shared.join(', ')})`);
  return { access, refresh, verifiers: { access: accessRing, refresh: refreshRing } };
}
