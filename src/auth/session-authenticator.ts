// The hot-path check behind every request with a user's access token: a valid token whose session is
// live and belongs to its subject — one Redis read. Machine clients have theirs in ClientAuthenticator.
import type { SessionStore } from '../sessions/session-store';
import type { TokenService } from './tokens';
import type { Viewer } from './viewer';

/** A request either has a viewer or is anonymous, with the reason kept for logs. */
export type Authentication = { viewer: Viewer } | { viewer: null; reason: string };

export class SessionAuthenticator {
  constructor(private readonly deps: { tokens: TokenService; sessions: SessionStore }) {}

  /** Store failures propagate: an outage is SERVICE_UNAVAILABLE, never anonymity (SPEC §5). */
  async authenticate(accessToken: string | undefined): Promise<Authentication> {
    if (!accessToken) return { viewer: null, reason: 'no token' };
    let claims;
    try {
      claims = this.deps.tokens.verifyAccess(accessToken);
    } catch (error) {
      return { viewer: null, reason: (error as Error).message };
    }
    const owner = await this.deps.sessions.ownerOf(claims.sid, claims.sub);
    if (owner !== claims.sub) return { viewer: null, reason: 'session revoked or expired' };
    const scopes = claims.scope ? claims.scope.split(' ') : [];
    return { viewer: { userId: claims.sub, sessionId: claims.sid, role: claims.role, scopes } };
  }
}
