// Client ids and secrets. A secret is 256 random bits, so it is stored as its SHA-256 alone: unlike
// a password it cannot be guessed, and a slow hash (argon2) would only make every token request
// slow and an easy way to burn CPU. Comparison is constant-time.
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

export const CLIENT_ID_PREFIX = 'pc_';
const SECRET_PREFIX = 'pcs_';

export const newClientId = (): string => `${CLIENT_ID_PREFIX}${randomBytes(12).toString('base64url')}`;

export const newClientSecret = (): string => `${SECRET_PREFIX}${randomBytes(32).toString('base64url')}`;

export const hashClientSecret = (secret: string): string => createHash('sha256').update(secret, 'utf8').digest('hex');

/** Constant-time: the work does not depend on how much of the secret matches. */
export function secretMatches(storedHash: string, presented: string): boolean {
  const expected = Buffer.from(storedHash, 'hex');
  const actual = createHash('sha256').update(presented, 'utf8').digest();
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}

/** Compared against when the client id is unknown, so that case costs the same as a wrong secret. */
export const DUMMY_SECRET_HASH = hashClientSecret(randomBytes(32).toString('base64url'));
