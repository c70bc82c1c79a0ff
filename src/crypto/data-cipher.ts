// Secrets at rest (SPEC §11): AES-256-GCM under DATA_ENCRYPTION_KEY. Each ciphertext names its key by id,
// so the key can be rotated: new writes use the active key, old ciphertexts still open with a key kept in
// DATA_ENCRYPTION_OLD_KEYS until they are rewritten.
import { createCipheriv, createDecipheriv, createHash, randomBytes } from 'node:crypto';

export const DATA_KEY_BYTES = 32;
const IV_BYTES = 12;
const TAG_BYTES = 16;
const VERSION = 'v1';

export interface DataKey {
  /** A short, stable name of the key (a digest of it, never the key). */
  readonly id: string;
  readonly key: Buffer;
}

export interface DataKeys {
  /** Encrypts every new value. */
  readonly active: DataKey;
  /** Still decrypt, never encrypt. */
  readonly old: readonly DataKey[];
}

/** Why a stored value could not be decrypted (unknown key, tampered, wrong context): a bug or a data problem, never the user's. */
export class DecryptionError extends Error {
  override readonly name = 'DecryptionError';
}

/** Decodes a base64 (or base64url) key of exactly 32 bytes; throws with a message naming the problem. */
export function parseDataKey(text: string): DataKey {
  const trimmed = text.trim();
  if (!/^[A-Za-z0-9+/_-]+={0,2}$/.test(trimmed)) throw new Error('must be base64 (openssl rand -base64 32)');
  const key = Buffer.from(trimmed.replace(/-/g, '+').replace(/_/g, '/'), 'base64');
  if (key.length !== DATA_KEY_BYTES) throw new Error(`must decode to ${DATA_KEY_BYTES} bytes (got ${key.length}): openssl rand -base64 32`);
  return { id: createHash('sha256').update(key).digest('base64url').slice(0, 12), key };
}

export class DataCipher {
  private readonly byId: ReadonlyMap<string, DataKey>;

  constructor(private readonly keys: DataKeys) {
    this.byId = new Map([keys.active, ...keys.old].map((key) => [key.id, key] as const));
  }

  /**
   * `context` is bound into the ciphertext (GCM additional data), e.g. "totp:<user id>": a value copied
   * to another row or purpose does not decrypt there.
   */
  encrypt(plaintext: string, context: string): string {
    const { id, key } = this.keys.active;
    const iv = randomBytes(IV_BYTES);
    const cipher = createCipheriv('aes-256-gcm', key, iv);
    cipher.setAAD(Buffer.from(context, 'utf8'));
    const body = Buffer.concat([cipher.update(plaintext, 'utf8'), cipher.final(), cipher.getAuthTag()]);
    return [VERSION, id, iv.toString('base64url'), body.toString('base64url')].join('.');
  }

  decrypt(stored: string, context: string): string {
    const [version, id, iv, body, extra] = stored.split('.');
    if (version !== VERSION || !id || !iv || !body || extra !== undefined) throw new DecryptionError('not a v1 ciphertext');
    const key = this.byId.get(id);
    if (!key) throw new DecryptionError(`encrypted under key ${id}, which is neither DATA_ENCRYPTION_KEY nor in DATA_ENCRYPTION_OLD_KEYS`);
    const bytes = Buffer.from(body, 'base64url');
    if (bytes.length < TAG_BYTES) throw new DecryptionError('ciphertext too short');
    try {
      const decipher = createDecipheriv('aes-256-gcm', key.key, Buffer.from(iv, 'base64url'));
      decipher.setAAD(Buffer.from(context, 'utf8'));
      decipher.setAuthTag(bytes.subarray(bytes.length - TAG_BYTES));
      return Buffer.concat([decipher.update(bytes.subarray(0, bytes.length - TAG_BYTES)), decipher.final()]).toString('utf8');
    } catch {
      throw new DecryptionError('authentication failed: tampered, or another context');
    }
  }

  /** Whether a value should be rewritten under the active key (it was encrypted under an old one). */
  needsReencryption(stored: string): boolean {
    return stored.split('.')[1] !== this.keys.active.id;
  }
}
