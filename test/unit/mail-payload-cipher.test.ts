// Queued mail is sealed with DATA_ENCRYPTION_KEY (SPEC §10): it survives a rotation of that key (the old
// one kept in DATA_ENCRYPTION_OLD_KEYS) and of the JWT keys, and mail queued by the previous release
// (sealed under the refresh signing key) still opens.
import { secretSigningKey } from '../../src/auth/keys';
import { DataCipher, DecryptionError, parseDataKey } from '../../src/crypto/data-cipher';
import type { Mail } from '../../src/mail/mail';
import { MailPayloadCipher } from '../../src/mail/payload-cipher';
import { TEST_SECRETS } from '../helpers/test-server';

const dataKey = (fill: number) => parseDataKey(Buffer.alloc(32, fill).toString('base64'));
const refreshKey = (secret: string) => secretSigningKey(secret);
const mail: Mail = { template: 'reset-password', to: 'ada@example.com', userId: 'u-1', params: { name: 'Ada', link: 'http://localhost/reset?token=secret-token', expiresIn: '1 hour' } };

/**
 * Sealed by the previous release's MailPayloadCipher (commit bd1d2d5, AES-256-GCM under an HKDF sub-key of
 * the refresh signing key TEST_SECRETS.JWT_REFRESH_SECRET), generated once with that code.
 */
const SEALED_BY_PREVIOUS_RELEASE =
  '6l43ule8sjq46SC2nxpLoNycK-KFgK_HR8zdFDqHKhagXvD0lsazx596KLofbIvxTXP398ExPoxj2N9VVzELEKxJY34RvLcVZg6yaqzWF8XtWoI4LYzAZIPmIEqOsAXJCTppuPPKcxayURi3CxhKZynvHSj93iavWdlnlZ4NHijbaxonwE9VOFuwif0FLXOmJQckGIQkGxJ6i4UzgMz_LzCgT61ZLW97vidtOOXHPEt-_t0CKt7tFi1INCgh9RM_5t8iadTs1NGRuL_2tKWjEZZODxav_92lVQ9uywLBWjy19DXXTuy6tMG7Gkni4KWBTLt7N2aIpg';

describe('MailPayloadCipher', () => {
  const cipher = new MailPayloadCipher(new DataCipher({ active: dataKey(1), old: [] }), refreshKey(TEST_SECRETS.JWT_REFRESH_SECRET));

  it('seals a mail so that neither the link nor the address is readable, and opens it again', () => {
    const sealed = cipher.seal(mail);
    expect(sealed).not.toContain('secret-token');
    expect(Buffer.from(sealed.split('.').join(''), 'base64url').toString('latin1')).not.toContain('ada@example.com');
    expect(cipher.open(sealed)).toEqual(mail);
  });

  it('opens mail sealed before the JWT keys were replaced: they play no part in the sealing', () => {
    const sealed = cipher.seal(mail);
    const afterJwtRotation = new MailPayloadCipher(new DataCipher({ active: dataKey(1), old: [] }), refreshKey('a-new-refresh-secret-0123456789abcdef-0123456789'));
    expect(afterJwtRotation.open(sealed)).toEqual(mail);
  });

  it('opens mail sealed before DATA_ENCRYPTION_KEY was rotated while the old key is kept, and not after it is dropped', () => {
    const sealed = cipher.seal(mail);
    const rotated = new MailPayloadCipher(new DataCipher({ active: dataKey(2), old: [dataKey(1)] }), refreshKey(TEST_SECRETS.JWT_REFRESH_SECRET));
    expect(rotated.open(sealed)).toEqual(mail);
    const dropped = new MailPayloadCipher(new DataCipher({ active: dataKey(2), old: [] }), refreshKey(TEST_SECRETS.JWT_REFRESH_SECRET));
    expect(() => dropped.open(sealed)).toThrow(DecryptionError);
  });

  it('refuses a payload that was altered, or a value sealed for another purpose under the same key', () => {
    const sealed = cipher.seal(mail);
    const [version, id, iv, body] = sealed.split('.') as [string, string, string, string];
    const flipped = Buffer.from(body, 'base64url');
    flipped[0]! ^= 1;
    expect(() => cipher.open([version, id, iv, flipped.toString('base64url')].join('.'))).toThrow(DecryptionError);
    const totpSecret = new DataCipher({ active: dataKey(1), old: [] }).encrypt(JSON.stringify(mail), 'totp:u-1');
    expect(() => cipher.open(totpSecret)).toThrow(DecryptionError);
  });

  it('still opens mail the previous release queued (sealed under the refresh signing key), so an upgrade loses no queued mail', () => {
    expect(cipher.open(SEALED_BY_PREVIOUS_RELEASE)).toEqual({
      template: 'reset-password',
      to: 'legacy@example.com',
      userId: '00000000-0000-4000-8000-000000000001',
      params: { name: 'Old Queue', link: 'http://localhost:4000/reset-password?token=legacy-token', expiresIn: '1 hour' },
    });
    // Under another refresh key that old format cannot open: it fails (the mail becomes MAIL_FAILED), never mis-opens.
    const otherRefresh = new MailPayloadCipher(new DataCipher({ active: dataKey(1), old: [] }), refreshKey('a-new-refresh-secret-0123456789abcdef-0123456789'));
    expect(() => otherRefresh.open(SEALED_BY_PREVIOUS_RELEASE)).toThrow();
  });
});
