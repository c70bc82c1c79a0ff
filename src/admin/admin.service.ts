// Admin operations on users (issue 6). Every write that changes what a user may do revokes all of
// the user's sessions at once, so no access token, refresh or cache carries a stale role or a
// disabled account: the one invalidation point for user writes.
import { noAudit, type Actor, type AuditLog, type AuthEventType } from '../audit/audit-event';
import { parsePageRequest, toConnection } from '../common/pagination';
import { BadUserInputError, ForbiddenError, type FieldError } from '../errors';
import type { SessionStore } from '../sessions/session-store';
import type { Role, UserRecord } from '../users/user';
import type { AdminWrite, UserAdminRepository } from './user-admin';

export const SEARCH_MAX = 254;

export interface AdminServiceDeps {
  users: UserAdminRepository;
  sessions: SessionStore;
  audit?: AuditLog;
}

export class AdminService {
  private readonly audit: AuditLog;

  constructor(private readonly deps: AdminServiceDeps) {
    this.audit = deps.audit ?? noAudit;
  }

  async listUsers(args: { first?: number | null; after?: string | null; search?: string | null }) {
    const search = args.search?.trim() || null;
    const request = parsePageRequest(args, searchProblems(search));
    const page = await this.deps.users.list({ ...request, search });
    return toConnection(page, request, page.totalCount);
  }

  /** Always revokes the user's sessions, even when the role is unchanged: a retry completes a revocation that failed. */
  async setRole(id: string, role: Role, actor: Actor): Promise<UserRecord> {
    const write = await this.deps.users.setRole(id, role);
    const reason = write.outcome === 'updated' ? `${write.previous.role}->${role}` : `->${role}`;
    return this.applied(id, write, { type: 'ROLE_CHANGED', verb: 'demote', reason, actor });
  }

  async disable(id: string, actor: Actor): Promise<UserRecord> {
    return this.applied(id, await this.deps.users.setActive(id, false), { type: 'USER_DISABLED', verb: 'disable', reason: null, actor });
  }

  /** Enabling grants nothing a session could carry, so sessions are left alone (a disabled user has none). */
  async enable(id: string, actor: Actor): Promise<UserRecord> {
    const write = await this.deps.users.setActive(id, true);
    if (write.outcome !== 'updated') throw missingUser();
    this.record('USER_ENABLED', 'SUCCESS', id, actor, null);
    return write.user;
  }

  private async applied(
    id: string,
    write: AdminWrite,
    event: { type: AuthEventType; verb: string; reason: string | null; actor: Actor },
  ): Promise<UserRecord> {
    if (write.outcome !== 'updated') {
      if (write.outcome === 'missing') throw missingUser();
      this.record(event.type, 'FAILURE', id, event.actor, 'last active admin');
      throw new ForbiddenError(`Cannot ${event.verb} the last active admin`);
    }
    await this.deps.sessions.revokeAll(id);
    this.record(event.type, 'SUCCESS', id, event.actor, event.reason);
    return write.user;
  }

  private record(type: AuthEventType, outcome: 'SUCCESS' | 'FAILURE', userId: string, actor: Actor, reason: string | null): void {
    this.audit.record({ type, outcome, userId, actorId: actor.userId, clientId: actor.clientId, ip: actor.ip, userAgent: actor.userAgent, reason });
  }
}

const missingUser = () => new BadUserInputError([{ field: 'id', message: 'no such user' }]);

/** A search longer than any email, or with control characters (PostgreSQL refuses NUL), can match nobody. */
function searchProblems(search: string | null): FieldError[] {
  if (search && search.length > SEARCH_MAX) return [{ field: 'search', message: `must be at most ${SEARCH_MAX} characters` }];
  if (search && /\p{Cc}/u.test(search)) return [{ field: 'search', message: 'must not contain control characters' }];
  return [];
}
