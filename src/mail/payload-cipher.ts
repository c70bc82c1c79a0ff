// Queued mail is sealed (AES-256-GCM) before it reaches PostgreSQL: a mail carries a one-time link,
// and SPEC §10 keeps tokens only as hashes at rest. The key is derived from the refresh signing key,
// so a database dump alone opens nothing; rotating that key leaves mail still queued unreadable
// (it then fails as MAIL_FAILED, and the user asks again).
import { createCipheriv, createDecipheriv, randomBytes, type KeyObject } from 'node:crypto';
import { deriveSubKey, type SigningKey } from '../auth/keys';
import type { Mail } from './mail';

const KEY_LABEL = 'portcullis mail payload v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class MailPayloadCipher {
  private readonly key: KeyObject;

  constructor(refreshKey: SigningKey) {
    this.key = deriveSubKey(refreshKey, KEY_LABEL);
  }

  seal(mail: Mail): string {
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.key, iv);
    const body = Buffer.concat([cipher.update(JSON.stringify(mail), 'utf8'), cipher.final()]);
    return Buffer.concat([iv, cipher.getAuthTag(), body]).toString('base64url');
  }

  /** Throws when the payload was not sealed with this key (or was altered). */
  open(sealed: string): Mail {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.key, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    const body = Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]);
    return JSON.parse(body.toString('utf8')) as Mail;
  }
}
