// Admin operations on users (issue 6). Every write that changes what a user may do revokes all of
// the user's sessions at once, so no access token, refresh or cache carries a stale role or a
// disabled account: the one invalidation point for user writes.
import { parsePageRequest, toConnection } from '../common/pagination';
import { BadUserInputError, ForbiddenError } from '../errors';
import type { SessionStore } from '../sessions/session-store';
import type { Role, UserRecord } from '../users/user';
import type { AdminWrite, UserAdminRepository } from './user-admin';

export const SEARCH_MAX = 254;

export interface AdminServiceDeps {
  users: UserAdminRepository;
  sessions: SessionStore;
}

export class AdminService {
  constructor(private readonly deps: AdminServiceDeps) {}

  async listUsers(args: { first?: number | null; after?: string | null; search?: string | null }) {
    const search = args.search?.trim() || null;
    const request = parsePageRequest(
      args,
      search && search.length > SEARCH_MAX ? [{ field: 'search', message: `must be at most ${SEARCH_MAX} characters` }] : [],
    );
    const page = await this.deps.users.list({ ...request, search });
    return toConnection(page, request, page.totalCount);
  }

  /** Always revokes the user's sessions, even when the role is unchanged: a retry completes a revocation that failed. */
  async setRole(id: string, role: Role): Promise<UserRecord> {
    return this.applied(id, await this.deps.users.setRole(id, role), 'demote');
  }

  async disable(id: string): Promise<UserRecord> {
    return this.applied(id, await this.deps.users.setActive(id, false), 'disable');
  }

  /** Enabling grants nothing a session could carry, so sessions are left alone (a disabled user has none). */
  async enable(id: string): Promise<UserRecord> {
    const write = await this.deps.users.setActive(id, true);
    if (write.outcome !== 'updated') throw missingUser();
    return write.user;
  }

  private async applied(id: string, write: AdminWrite, verb: 'demote' | 'disable'): Promise<UserRecord> {
    if (write.outcome !== 'updated') {
      throw write.outcome === 'missing' ? missingUser() : new ForbiddenError(`Cannot ${verb} the last active admin`);
    }
    await this.deps.sessions.revokeAll(id);
    return write.user;
  }
}

const missingUser = () => new BadUserInputError([{ field: 'id', message: 'no such user' }]);
