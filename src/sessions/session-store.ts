// What the auth service needs from session storage (SPEC §7). Implemented by Redis and, for the
// embedded development mode, in process; both pass test/integration/session-store.contract.ts.
import { createHash, randomBytes } from 'node:crypto';

export interface Session {
  id: string;
  userId: string;
  /**
   * The current refresh token's jti digested (digestTokenId): Redis never holds a usable token. Stores compare
   * tokens on its first 22 characters (hashTokenId) and give back only those; layout v1 keeps it whole, as the
   * previous release compares it.
   */
  refreshJtiHash: string;
  createdAt: number;
  lastUsedAt: number;
  /** Hard end of the session (createdAt + SESSION_MAX_AGE), seconds since the epoch. */
  expiresAt: number;
  ip: string;
  /** Stored in its short form (storedUserAgent): sessions written before layout v2 hold the header as sent. */
  userAgent: string;
}

export interface Rotation {
  sessionId: string;
  userId: string;
  /** Digests (digestTokenId), compared on their first 22 characters like Session.refreshJtiHash. */
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
  /** A new session id, in the shape this store looks up (in Redis its length says which layout holds it). */
  newId(): string;
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

/** 96 random bits, 16 characters: the ids of sessions written before layout v2 have 22 (session-layout.ts). */
export const newSessionId = (): string => randomBytes(12).toString('base64url');

/** The jti's whole SHA-256 in base64url (43 characters): what a session is given (see Session.refreshJtiHash). */
export const digestTokenId = (jti: string): string => createHash('sha256').update(jti).digest('base64url');

/** Characters of a token digest that tokens are compared on (132 bits). */
const COMPARED_LENGTH = 22;

/** The part of a digest that tokens are compared on, and that get() gives back. */
export const comparedPart = (digest: string): string => digest.slice(0, COMPARED_LENGTH);

/** The first 22 base64url characters (132 bits) of the jti's SHA-256. */
export const hashTokenId = (jti: string): string => comparedPart(digestTokenId(jti));

/** User agents are stored for display only; bound their size. */
export const MAX_USER_AGENT_LENGTH = 256;
