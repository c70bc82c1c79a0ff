// Signing keys (SPEC §6): the kid is the RFC 7638 thumbprint, HMAC secrets are ≥ 32 bytes, and
// PEM key pairs must match and fit the algorithm.
import { createHash, createHmac, createPublicKey, createSecretKey, generateKeyPairSync, type JsonWebKey } from 'node:crypto';
import { deriveSubKey, jwkThumbprint, pemSigningKey, secretSigningKey } from '../../src/auth/keys';

const rsaPem = (modulusLength: number) =>
  generateKeyPairSync('rsa', { modulusLength, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });
const ecPem = (namedCurve: string) =>
  generateKeyPairSync('ec', { namedCurve, privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } });

describe('jwkThumbprint', () => {
  it('gives the thumbprint of the example RSA key in RFC 7638 §3.1', () => {
    const rfcExample: JsonWebKey = {
      kty: 'RSA',
      n:
        '0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn' +
        '64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbI' +
        'SD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw',
      e: 'AQAB',
      alg: 'RS256',
      kid: '2011-04-29',
    };
    const key = createPublicKey({ key: rfcExample, format: 'jwk' });

    // The value printed in RFC 7638 §3.1 (bytes 55 54 203 177 … 245 123).
    expect(jwkThumbprint(key)).toBe('NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs');
  });

  it('hashes only crv, kty, x and y, in that order, for an EC key', () => {
    const { publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const jwk = publicKey.export({ format: 'jwk' });
    const expected = createHash('sha256').update(`{"crv":"P-256","kty":"EC","x":"${jwk.x}","y":"${jwk.y}"}`).digest('base64url');

    expect(jwkThumbprint(publicKey)).toBe(expected);
  });

  it('hashes only k and kty for an HMAC secret', () => {
    const secret = Buffer.from('an-hmac-secret-that-is-32-bytes!');
    const expected = createHash('sha256').update(`{"k":"${secret.toString('base64url')}","kty":"oct"}`).digest('base64url');

    expect(jwkThumbprint(createSecretKey(secret))).toBe(expected);
  });

  it('names the private and the public half of a key pair alike', () => {
    const { privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });

    expect(jwkThumbprint(privateKey)).toBe(jwkThumbprint(publicKey));
  });
});

describe('secretSigningKey', () => {
  it('refuses a secret of 31 bytes and names the minimum', () => {
    expect(() => secretSigningKey('a'.repeat(31))).toThrow('must be at least 32 bytes (got 31)');
  });

  it('counts UTF-8 bytes, not characters', () => {
    expect(() => secretSigningKey('é'.repeat(15))).toThrow('must be at least 32 bytes (got 30)');
    expect(secretSigningKey('é'.repeat(16)).signingKey.symmetricKeySize).toBe(32);
  });

  it('accepts 32 bytes as an HS256 key named by its thumbprint, signing and verifying with the same key', () => {
    const secret = 'b'.repeat(32);
    const key = secretSigningKey(secret);

    expect(key.algorithm).toBe('HS256');
    expect(key.signingKey).toBe(key.verificationKey);
    expect(key.signingKey.export().toString('utf8')).toBe(secret);
    expect(key.kid).toBe(
      createHash('sha256').update(`{"k":"${Buffer.from(secret).toString('base64url')}","kty":"oct"}`).digest('base64url'),
    );
  });
});

describe('pemSigningKey', () => {
  const rsa2048 = rsaPem(2048);
  const p256 = ecPem('P-256');

  it('builds an RS256 key from a private PEM alone, deriving the public key and naming it by its thumbprint', () => {
    const key = pemSigningKey('RS256', rsa2048.privateKey);

    expect(key.algorithm).toBe('RS256');
    expect(key.signingKey.type).toBe('private');
    expect(key.verificationKey.type).toBe('public');
    expect(key.verificationKey.export({ format: 'pem', type: 'spki' })).toBe(rsa2048.publicKey);
    expect(key.kid).toBe(jwkThumbprint(createPublicKey(rsa2048.publicKey)));
  });

  it('builds an ES256 key from a matching P-256 pair', () => {
    const key = pemSigningKey('ES256', p256.privateKey, p256.publicKey);

    expect(key.algorithm).toBe('ES256');
    expect(key.kid).toBe(jwkThumbprint(createPublicKey(p256.publicKey)));
  });

  it('refuses a public key that does not belong to the private key', () => {
    const other = rsaPem(2048);

    expect(() => pemSigningKey('RS256', rsa2048.privateKey, other.publicKey)).toThrow('the public key does not belong to the private key');
  });

  it('refuses an RSA key under 2048 bits for RS256', () => {
    const weak = rsaPem(1024);

    expect(() => pemSigningKey('RS256', weak.privateKey)).toThrow('RS256 needs an RSA private key of at least 2048 bits');
  });

  it('refuses an EC key for RS256', () => {
    expect(() => pemSigningKey('RS256', p256.privateKey)).toThrow('RS256 needs an RSA private key of at least 2048 bits');
  });

  it('refuses a P-384 key for ES256', () => {
    const p384 = ecPem('P-384');

    expect(() => pemSigningKey('ES256', p384.privateKey, p384.publicKey)).toThrow('ES256 needs an EC private key on the P-256 curve');
  });

  it('refuses an RSA key for ES256', () => {
    expect(() => pemSigningKey('ES256', rsa2048.privateKey)).toThrow('ES256 needs an EC private key on the P-256 curve');
  });
});

describe('deriveSubKey', () => {
  const secret = 'an-hmac-secret-that-is-32-bytes!';
  const exported = (key: ReturnType<typeof deriveSubKey>) => key.export().toString('hex');

  it('is HKDF-SHA256 (RFC 5869) of an HMAC secret with an empty salt and the label as info, 32 bytes', () => {
    // RFC 5869 by hand: PRK = HMAC(zeros, IKM); OKM = HMAC(PRK, info || 0x01) for one 32-byte block.
    const prk = createHmac('sha256', Buffer.alloc(32)).update(secret).digest();
    const okm = createHmac('sha256', prk).update(Buffer.concat([Buffer.from('a label'), Buffer.from([1])])).digest();

    const key = deriveSubKey(secretSigningKey(secret), 'a label');

    expect(key.type).toBe('secret');
    expect(exported(key)).toBe(okm.toString('hex'));
    expect(exported(key)).not.toContain(Buffer.from(secret).toString('hex'));
  });

  it('gives the same sub-key for the same key and label, and another for another label or another key', () => {
    const key = secretSigningKey(secret);
    const first = exported(deriveSubKey(key, 'one'));

    expect(exported(deriveSubKey(secretSigningKey(secret), 'one'))).toBe(first);
    expect(exported(deriveSubKey(key, 'two'))).not.toBe(first);
    expect(exported(deriveSubKey(secretSigningKey('another-hmac-secret-of-32-bytes!'), 'one'))).not.toBe(first);
  });

  it('derives from the private half of an ES256 key, so the published public key gives nothing to derive it', () => {
    const pair = ecPem('prime256v1');
    const other = ecPem('prime256v1');
    const key = pemSigningKey('ES256', pair.privateKey);
    const derived = exported(deriveSubKey(key, 'one'));

    expect(derived).toHaveLength(64);
    expect(exported(deriveSubKey(pemSigningKey('ES256', pair.privateKey), 'one'))).toBe(derived);
    expect(exported(deriveSubKey(pemSigningKey('ES256', other.privateKey), 'one'))).not.toBe(derived);
  });
});
