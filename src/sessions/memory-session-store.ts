// Sessions in this process's memory: the embedded development default (single instance only).
// Each method runs synchronously to completion, which makes rotation as atomic as the Redis script.
import { comparedPart, newSessionId, type Rotation, type RotationResult, type Session, type SessionStore } from './session-store';
import { storedUserAgent } from './user-agent';

interface Entry {
  session: Session;
  previousJtiHash?: string;
  rotatedAt?: number;
  expiresAtMs: number;
}

export class MemorySessionStore implements SessionStore {
  private readonly sessions = new Map<string, Entry>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  newId(): string {
    return newSessionId();
  }

  async create(session: Session, ttlSeconds: number): Promise<void> {
    const stored = { ...session, refreshJtiHash: comparedPart(session.refreshJtiHash), userAgent: storedUserAgent(session.userAgent) };
    this.sessions.set(session.id, { session: stored, expiresAtMs: this.nowMs() + ttlSeconds * 1000 });
  }

  async ownerOf(sessionId: string, userId: string): Promise<string | null> {
    return this.live(sessionId, userId)?.session.userId ?? null;
  }

  async get(sessionId: string, userId: string): Promise<Session | null> {
    const entry = this.live(sessionId, userId);
    return entry ? { ...entry.session } : null;
  }

  async rotate(rotation: Rotation): Promise<RotationResult> {
    const entry = this.live(rotation.sessionId, rotation.userId);
    if (!entry) return { outcome: 'missing' };
    const presented = comparedPart(rotation.presentedJtiHash);
    if (entry.session.refreshJtiHash === presented) {
      const ttlSeconds = Math.min(rotation.refreshTtlSeconds, entry.session.expiresAt - rotation.now);
      if (ttlSeconds <= 0) {
        this.sessions.delete(rotation.sessionId);
        return { outcome: 'missing' };
      }
      entry.previousJtiHash = presented;
      entry.rotatedAt = rotation.now;
      entry.session = {
        ...entry.session,
        refreshJtiHash: comparedPart(rotation.nextJtiHash),
        lastUsedAt: rotation.now,
        ip: rotation.ip,
        userAgent: storedUserAgent(rotation.userAgent),
      };
      entry.expiresAtMs = this.nowMs() + ttlSeconds * 1000;
      return { outcome: 'rotated', ttlSeconds };
    }
    const withinGrace =
      entry.previousJtiHash === presented && rotation.now - (entry.rotatedAt ?? 0) < rotation.graceSeconds;
    if (withinGrace) return { outcome: 'grace' };
    this.sessions.delete(rotation.sessionId);
    return { outcome: 'reused' };
  }

  async isCurrentRefresh(sessionId: string, userId: string, jtiHash: string): Promise<boolean> {
    return this.live(sessionId, userId)?.session.refreshJtiHash === comparedPart(jtiHash);
  }

  async revoke(sessionId: string, userId: string): Promise<void> {
    if (this.live(sessionId, userId)) this.sessions.delete(sessionId);
  }

  async listByUser(userId: string): Promise<Session[]> {
    const sessions: Session[] = [];
    for (const id of [...this.sessions.keys()]) {
      const entry = this.live(id, userId);
      if (entry) sessions.push({ ...entry.session });
    }
    return sessions;
  }

  async revokeAll(userId: string, options: { except?: string } = {}): Promise<number> {
    let live = 0;
    for (const [id, entry] of this.sessions) {
      if (entry.session.userId !== userId || id === options.except) continue;
      if (entry.expiresAtMs > this.nowMs()) live += 1;
      this.sessions.delete(id);
    }
    return live;
  }

  async ping(): Promise<void> {}

  async close(): Promise<void> {
    this.sessions.clear();
  }

  private live(sessionId: string, userId: string): Entry | undefined {
    const entry = this.sessions.get(sessionId);
    if (!entry) return undefined;
    if (entry.expiresAtMs <= this.nowMs()) {
      this.sessions.delete(sessionId);
      return undefined;
    }
    return entry.session.userId === userId ? entry : undefined;
  }
}
