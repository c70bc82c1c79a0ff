// The viewer's own sessions: list them and revoke one (another user's session answers as unknown).
import { noAudit, type Actor, type AuditLog } from '../audit/audit-event';
import type { Config } from '../config/config';
import type { SessionStore } from './session-store';
import type { Session } from './session.type';
import { parseUserAgent } from './user-agent';

export interface SessionServiceDeps {
  sessions: SessionStore;
  settings: Pick<Config['jwt'], 'refreshTokenTtl'>;
  audit?: AuditLog;
}

export class SessionService {
  constructor(private readonly deps: SessionServiceDeps) {}

  /** Most recently used first. */
  async list(owner: { userId: string; sessionId: string }): Promise<Session[]> {
    const sessions = await this.deps.sessions.listByUser(owner.userId);
    const refreshTtl = this.deps.settings.refreshTokenTtl.seconds;
    return sessions
      .sort((a, b) => b.lastUsedAt - a.lastUsedAt || a.id.localeCompare(b.id))
      .map((session) => ({
        id: session.id,
        createdAt: new Date(session.createdAt * 1000),
        lastUsedAt: new Date(session.lastUsedAt * 1000),
        // The store slides a session by the refresh lifetime from its last use, never past its hard end.
        expiresAt: new Date(Math.min(session.lastUsedAt + refreshTtl, session.expiresAt) * 1000),
        ip: session.ip,
        userAgent: parseUserAgent(session.userAgent),
        current: session.id === owner.sessionId,
      }));
  }

  /** True when a live session of this user was revoked; false for an unknown id or another user's. */
  async revoke(userId: string, sessionId: string, actor: Actor): Promise<boolean> {
    const { sessions } = this.deps;
    if ((await sessions.ownerOf(sessionId, userId)) !== userId) return false;
    await sessions.revoke(sessionId, userId);
    (this.deps.audit ?? noAudit).record({ type: 'SESSION_REVOKED', outcome: 'SUCCESS', userId, actorId: userId, sessionId, ip: actor.ip, userAgent: actor.userAgent });
    return true;
  }
}
