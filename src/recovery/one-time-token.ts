// Link tokens (SPEC §10): 256 random bits, sent in a mail, kept only as a SHA-256, bound to one
// purpose and one user. Their shape is checked before any lookup: garbage never reaches PostgreSQL.
import { createHash, randomBytes } from 'node:crypto';

export const TokenPurpose = {
  VERIFY_EMAIL: 'VERIFY_EMAIL',
  RESET_PASSWORD: 'RESET_PASSWORD',
  CHANGE_EMAIL: 'CHANGE_EMAIL',
} as const;
export type TokenPurpose = (typeof TokenPurpose)[keyof typeof TokenPurpose];

/** 32 random bytes in base64url: always 43 characters of [A-Za-z0-9_-]. */
const SHAPE = /^[A-Za-z0-9_-]{43}$/;

export function newOneTimeToken(): { token: string; hash: string } {
  const token = randomBytes(32).toString('base64url');
  return { token, hash: hashOf(token) };
}

/** The stored hash of a presented token, or null when it cannot be one of ours. */
export function presentedTokenHash(token: string): string | null {
  return SHAPE.test(token) ? hashOf(token) : null;
}

const hashOf = (token: string): string => createHash('sha256').update(token).digest('hex');
