// Queued mail is sealed before it reaches PostgreSQL: a mail carries a one-time link, and SPEC §10
// keeps tokens only as hashes at rest. It is sealed with DATA_ENCRYPTION_KEY (src/crypto/data-cipher.ts),
// so a database dump alone opens nothing and rotating that key (DATA_ENCRYPTION_OLD_KEYS) or the JWT
// keys never makes queued mail unreadable. Mail queued by a release that sealed it under the refresh
// signing key still opens while that key is the same.
import { createDecipheriv, type KeyObject } from 'node:crypto';
import { deriveSubKey, type SigningKey } from '../auth/keys';
import type { DataCipher } from '../crypto/data-cipher';
import type { Mail } from './mail';

/** Bound into each sealed payload: a value sealed for another purpose does not open as a mail. */
const CONTEXT = 'mail payload';
const LEGACY_KEY_LABEL = 'portcullis mail payload v1';
const IV_BYTES = 12;
const TAG_BYTES = 16;

export class MailPayloadCipher {
  private readonly legacyKey: KeyObject;

  constructor(
    private readonly data: DataCipher,
    refreshKey: SigningKey,
  ) {
    this.legacyKey = deriveSubKey(refreshKey, LEGACY_KEY_LABEL);
  }

  seal(mail: Mail): string {
    return this.data.encrypt(JSON.stringify(mail), CONTEXT);
  }

  /** Throws when the payload opens under no key of ours (or was altered). */
  open(sealed: string): Mail {
    // A DataCipher value is dot-separated; the older format is one base64url string, which has no dot.
    const json = sealed.includes('.') ? this.data.decrypt(sealed, CONTEXT) : this.openLegacy(sealed);
    return JSON.parse(json) as Mail;
  }

  private openLegacy(sealed: string): string {
    const bytes = Buffer.from(sealed, 'base64url');
    const decipher = createDecipheriv('aes-256-gcm', this.legacyKey, bytes.subarray(0, IV_BYTES));
    decipher.setAuthTag(bytes.subarray(IV_BYTES, IV_BYTES + TAG_BYTES));
    return Buffer.concat([decipher.update(bytes.subarray(IV_BYTES + TAG_BYTES)), decipher.final()]).toString('utf8');
  }
}
