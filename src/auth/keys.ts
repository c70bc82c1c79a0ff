// Signing keys as KeyObjects built once, named by their RFC 7638 thumbprint (the `kid`).
import { createHash, createPrivateKey, createPublicKey, createSecretKey, type KeyObject } from 'node:crypto';

export const ALGORITHMS = ['HS256', 'RS256', 'ES256'] as const;
export type Algorithm = (typeof ALGORITHMS)[number];

export interface SigningKey {
  readonly algorithm: Algorithm;
  readonly kid: string;
  readonly signingKey: KeyObject;
  readonly verificationKey: KeyObject;
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

/** Builds an asymmetric key pair from PEM text; the public key is derived when not given. */
export function pemSigningKey(algorithm: 'RS256' | 'ES256', privatePem: string, publicPem?: string): SigningKey {
  const privateKey = createPrivateKey(privatePem);
  const publicKey = publicPem ? createPublicKey(publicPem) : createPublicKey(privateKey);
  const derived = createPublicKey(privateKey).export({ format: 'jwk' });
  if (JSON.stringify(derived) !== JSON.stringify(publicKey.export({ format: 'jwk' }))) {
    throw new Error('the public key does not belong to the private key');
  }
  if (algorithm === 'RS256') {
    const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
    if (privateKey.asymmetricKeyType !== 'rsa' || bits < 2048) {
      throw new Error('RS256 needs an RSA private key of at least 2048 bits');
    }
  } else if (privateKey.asymmetricKeyType !== 'ec' || privateKey.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new Error('ES256 needs an EC private key on the P-256 curve');
  }
  return { algorithm, kid: jwkThumbprint(publicKey), signingKey: privateKey, verificationKey: publicKey };
}
