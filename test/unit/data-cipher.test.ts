// DataCipher (issue 13): AES-256-GCM with the key id and a context bound into each ciphertext, so a key
// can be rotated and a value cannot be moved to another row or purpose, or altered, unnoticed.
import { DataCipher, DecryptionError, parseDataKey } from '../../src/crypto/data-cipher';

const key = (fill: number) => parseDataKey(Buffer.alloc(32, fill).toString('base64'));
const current = new DataCipher({ active: key(1), old: [] });

describe('DataCipher', () => {
  it('decrypts what it encrypted, with a fresh IV each time', () => {
    const first = current.encrypt('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'totp:user-1');
    const second = current.encrypt('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP', 'totp:user-1');

    expect(first).not.toBe(second);
    expect(first).toMatch(/^v1\.[\w-]{12}\.[\w-]{16}\.[\w-]+$/);
    expect(current.decrypt(first, 'totp:user-1')).toBe('JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP');
  });

  it('refuses another context, an altered ciphertext, IV or key id', () => {
    const stored = current.encrypt('secret', 'totp:user-1');
    const [version, id, iv, body] = stored.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0]! ^= 1;

    expect(() => current.decrypt(stored, 'totp:user-2')).toThrow(DecryptionError);
    expect(() => current.decrypt([version, id, iv, flipped.toString('base64url')].join('.'), 'totp:user-1')).toThrow(DecryptionError);
    expect(() => current.decrypt([version, id, Buffer.alloc(12).toString('base64url'), body].join('.'), 'totp:user-1')).toThrow(DecryptionError);
    expect(() => current.decrypt([version, 'AAAAAAAAAAAA', iv, body].join('.'), 'totp:user-1')).toThrow(/neither DATA_ENCRYPTION_KEY nor in DATA_ENCRYPTION_OLD_KEYS/);
    expect(() => current.decrypt('plain text', 'totp:user-1')).toThrow(DecryptionError);
  });

  it('rotates: a new key encrypts, the retired one still decrypts, and old ciphertexts are marked for rewriting', () => {
    const stored = current.encrypt('secret', 'ctx');
    const rotated = new DataCipher({ active: key(2), old: [key(1)] });

    expect(rotated.decrypt(stored, 'ctx')).toBe('secret');
    expect(rotated.needsReencryption(stored)).toBe(true);
    const rewritten = rotated.encrypt('secret', 'ctx');
    expect(rotated.needsReencryption(rewritten)).toBe(false);
    expect(() => current.decrypt(rewritten, 'ctx')).toThrow(DecryptionError);
    expect(() => new DataCipher({ active: key(2), old: [] }).decrypt(stored, 'ctx')).toThrow(DecryptionError);
  });

  it('names a key by a digest, never the key itself', () => {
    const named = key(3);
    expect(named.id).toHaveLength(12);
    expect(Buffer.alloc(32, 3).toString('base64url')).not.toContain(named.id);
  });
});
