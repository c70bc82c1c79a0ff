// The previous release's SessionStore interface, verbatim from commit f8202532d36ad6f4363181f3305edc648258179e
// (git show f820253:src/sessions/session-store.ts), beside its RedisSessionStore in this folder. Kept so that
// tests can run the previous release's code against the Redis the current code writes to: during a rolling
// upgrade both run at once (SESSION_LAYOUT, docs/operations.md). Do not update it with the current code.
// What the auth service needs from session storage (SPEC §7). Implemented by Redis and, for the
// embedded development mode, in process; both pass test/integration/session-store.contract.ts.
import { createHash, randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  userId: string;
  /** SHA-256 of the current refresh token's jti: Redis never holds a usable token. */
  refreshJtiHash: string;
  createdAt: number;
  lastUsedAt: number;
  /** Hard end of the session (createdAt + SESSION_MAX_AGE), seconds since the epoch. */
  expiresAt: number;
  ip: string;
  userAgent: string;
}

export interface Rotation {
  sessionId: string;
  userId: string;
  presentedJtiHash: string;
  nextJtiHash: string;
  now: number;
  /** REFRESH_TOKEN_TTL: the session slides this far, but never past its expiresAt. */
  refreshTtlSeconds: number;
  /** Seconds after a rotation in which the previous token is refused without revoking. */
  graceSeconds: number;
  ip: string;
  userAgent: string;
}

/**
 * - rotated: the presented token was current and has been replaced;
 * - grace: the presented token was replaced less than REFRESH_REUSE_GRACE ago (refused, session kept);
 * - reused: the presented token was replaced earlier, so it was stolen or replayed: the session is revoked;
 * - missing: no such session for that user (expired, revoked or never existed).
 */
export type RotationResult =
  | { outcome: 'rotated'; /** seconds the session now lives */ ttlSeconds: number }
  | { outcome: 'grace' | 'reused' | 'missing' };

export interface SessionStore {
  create(session: Session, ttlSeconds: number): Promise<void>;
  /** The owner of a live session, or null: the hot-path check behind every authenticated request. */
  ownerOf(sessionId: string, userId: string): Promise<string | null>;
  get(sessionId: string, userId: string): Promise<Session | null>;
  rotate(rotation: Rotation): Promise<RotationResult>;
  /** Whether this jti hash is the live session's current refresh token (a read: revokes nothing). */
  isCurrentRefresh(sessionId: string, userId: string, jtiHash: string): Promise<boolean>;
  revoke(sessionId: string, userId: string): Promise<void>;
  /** The user's live sessions, in no particular order (one round trip on Redis). */
  listByUser(userId: string): Promise<Session[]>;
  /** Revokes every session of the user, or every one but `except`; returns how many live ones were revoked. */
  revokeAll(userId: string, options?: { except?: string }): Promise<number>;
  /** Throws when the store cannot be reached. */
  ping(): Promise<void>;
  close(): Promise<void>;
}

export const newSessionId = (): string => randomBytes(16).toString('base64url');

export const hashTokenId = (jti: string): string => createHash('sha256').update(jti).digest('base64url');

/** User agents are stored for display only; bound their size. */
export const MAX_USER_AGENT_LENGTH = 256;
