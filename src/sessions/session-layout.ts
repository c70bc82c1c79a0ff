// How a session is laid out in Redis (docs/tokens-and-sessions.md, "Session layout in Redis").
//
// v2 (now written): one hash per user, `{userId}:s2`, two small fields per session so that Redis keeps
// the hash in its compact listpack encoding (values of at most 64 bytes: the usual case; an IPv6 address
// with a long user agent or non-ASCII text can exceed it, which only costs that user's hash the compact form):
//   <sid>    "r|p|c|l|e|x": refresh hash (22), previous refresh hash prefix (11, "" before the first
//            rotation), created (base 36 seconds), last used and hard end (base 36 seconds after
//            created), and the instant the session lapses (base 36 milliseconds, the store's clock)
//   <sid>:m  "ip|user agent" (the user agent in its stored form, src/sessions/user-agent.ts)
// v1 (the previous release's): a hash per session, `{userId}:s:<sid>` with u rt prt rat c l x ip ua and a
// key TTL, listed in the set `{userId}:sessions`. Under SESSION_LAYOUT=v2 a v1 session moves to v2 when it
// is next rotated; under v1 (the first step of a rolling upgrade) new sessions are written in v1 and v1
// sessions rotate in place, so that instances of the previous release beside this one find them.
// Both layouts are read under either setting.
import { randomBytes } from 'node:crypto';
import { comparedPart, type Session } from './session-store';

/** SESSION_LAYOUT: the layout new sessions are written in. */
export const SESSION_LAYOUTS = ['v2', 'v1'] as const;
export type SessionLayout = (typeof SESSION_LAYOUTS)[number];

/** v1 session ids are 22 characters (16 random bytes); v2 ids are 16 (12 bytes), so the id says where to look. */
export const newV1SessionId = (): string => randomBytes(16).toString('base64url');
const V2_SESSION_ID = /^[A-Za-z0-9_-]{16}$/;
/** Characters of the previous refresh hash kept for the grace check (66 bits). */
export const PREVIOUS_HASH_LENGTH = 11;

export type Layout = 'v2' | 'v1-or-v2' | 'none';

/** Where a session with this id can live: a v1 session rotated into v2 keeps its 22-character id. */
export function layoutOf(sessionId: string): Layout {
  if (V2_SESSION_ID.test(sessionId)) return 'v2';
  return /^[A-Za-z0-9_-]{22}$/.test(sessionId) ? 'v1-or-v2' : 'none';
}

export const metaField = (sessionId: string): string => `${sessionId}:m`;

const b36 = (value: number): string => Math.max(0, Math.floor(value)).toString(36);

/** The two v2 fields of a new session that lapses at `lapsesAtMs` (the store's clock). */
export function encodeV2(session: Session, lapsesAtMs: number): { auth: string; meta: string } {
  const { createdAt: c } = session;
  const auth = [comparedPart(session.refreshJtiHash), '', b36(c), b36(session.lastUsedAt - c), b36(lapsesAtMs), b36(session.expiresAt - c)].join('|');
  return { auth, meta: encodeMeta(session.ip, session.userAgent) };
}

export const encodeMeta = (ip: string, userAgent: string): string => `${ip.replaceAll('|', '')}|${userAgent}`;

export interface V2Auth {
  refreshJtiHash: string;
  createdAt: number;
  lastUsedAt: number;
  lapsesAtMs: number;
  expiresAt: number;
}

/** The auth field of a v2 session, or null when malformed. */
export function decodeV2Auth(auth: string): V2Auth | null {
  const parts = auth.split('|');
  if (parts.length !== 6) return null;
  const [refreshJtiHash, , c, l, e, x] = parts as [string, string, string, string, string, string];
  const createdAt = parseInt(c, 36);
  return { refreshJtiHash, createdAt, lastUsedAt: createdAt + parseInt(l, 36), lapsesAtMs: parseInt(e, 36), expiresAt: createdAt + parseInt(x, 36) };
}

/** A live v2 session from its two fields, or null when missing, malformed or lapsed at `nowMs`. */
export function decodeV2(sessionId: string, userId: string, auth: string | null | undefined, meta: string | null | undefined, nowMs: number): Session | null {
  const decoded = auth ? decodeV2Auth(auth) : null;
  if (!decoded || !(decoded.lapsesAtMs > nowMs)) return null;
  const separator = (meta ?? '').indexOf('|');
  return {
    id: sessionId,
    userId,
    refreshJtiHash: decoded.refreshJtiHash,
    createdAt: decoded.createdAt,
    lastUsedAt: decoded.lastUsedAt,
    expiresAt: decoded.expiresAt,
    ip: separator === -1 ? '' : meta!.slice(0, separator),
    userAgent: separator === -1 ? '' : meta!.slice(separator + 1),
  };
}

/** A v1 session from its hash (Redis expired it already if it lapsed), or null when it is not this user's. */
export function decodeV1(sessionId: string, userId: string, hash: Record<string, string>): Session | null {
  if (hash.u !== userId) return null;
  return {
    id: sessionId,
    userId,
    // v1 keeps the whole SHA-256; tokens are compared on its first 22 characters (hashTokenId).
    refreshJtiHash: comparedPart(hash.rt ?? ''),
    createdAt: Number(hash.c),
    lastUsedAt: Number(hash.l),
    expiresAt: Number(hash.x),
    ip: hash.ip ?? '',
    userAgent: hash.ua ?? '',
  };
}
