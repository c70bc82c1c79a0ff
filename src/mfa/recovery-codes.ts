// Recovery codes: ten per user, shown once, stored as SHA-256. Each holds 80 random bits, so a fast hash
// cannot be reversed by guessing (the same reasoning as client secrets, src/clients/client-secret.ts).
import { createHash, randomBytes } from 'node:crypto';

export const RECOVERY_CODE_COUNT = 10;
/** Crockford's base32 alphabet: no I, L, O or U to misread. */
const ALPHABET = '0123456789abcdefghjkmnpqrstvwxyz';

/** Like "k3m9-7c2d-x8pq-4hvt": 16 characters of 5 bits each. */
export function newRecoveryCode(): string {
  const bytes = randomBytes(16);
  const characters = [...bytes].map((byte) => ALPHABET[byte & 31]!).join('');
  return characters.match(/.{4}/g)!.join('-');
}

export const newRecoveryCodes = (): string[] => Array.from({ length: RECOVERY_CODE_COUNT }, newRecoveryCode);

/**
 * The stored form of a code as shown or typed: case, spaces and dashes do not matter, nor misread
 * letters (i, l → 1, o → 0). Null when it cannot be a recovery code.
 */
export function recoveryCodeHash(input: string): string | null {
  const compact = input.toLowerCase().replace(/[\s-]/g, '').replace(/[il]/g, '1').replace(/o/g, '0');
  if (!/^[0-9a-hjkmnp-tv-z]{16}$/.test(compact)) return null;
  return createHash('sha256').update(compact).digest('hex');
}

/** The hashes of freshly made codes (always well-formed). */
export const recoveryCodeHashes = (codes: readonly string[]): string[] => codes.map((code) => recoveryCodeHash(code)!);
