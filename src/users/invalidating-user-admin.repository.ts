// The admin writes (role, active) go through the users layer's one invalidation point too, so a user
// disabled, re-enabled or given a new role is never served from any instance's cache afterwards.
import type { AdminWrite, UserAdminRepository } from '../admin/user-admin';
import type { Role } from './user';
import type { CachedUserRepository } from './cached-user.repository';

export class InvalidatingUserAdminRepository implements UserAdminRepository {
  constructor(
    private readonly inner: UserAdminRepository,
    private readonly users: Pick<CachedUserRepository, 'invalidate'>,
  ) {}

  list(request: Parameters<UserAdminRepository['list']>[0]): ReturnType<UserAdminRepository['list']> {
    return this.inner.list(request);
  }

  async setRole(id: string, role: Role): Promise<AdminWrite> {
    return this.invalidated(id, await this.inner.setRole(id, role));
  }

  async setActive(id: string, active: boolean): Promise<AdminWrite> {
    return this.invalidated(id, await this.inner.setActive(id, active));
  }

  private async invalidated(id: string, write: AdminWrite): Promise<AdminWrite> {
    if (write.outcome === 'updated') await this.users.invalidate(id);
    return write;
  }
}
