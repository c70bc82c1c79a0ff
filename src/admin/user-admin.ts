// What admin operations need from user storage, beyond UserRepository.
import type { Page, PageRequest } from '../common/pagination';
import type { Role, UserRecord } from '../users/user';

/**
 * - updated: the change was written (or already held);
 * - missing: no such user;
 * - last-admin: refused, it would leave no active ADMIN.
 */
export type AdminWrite =
  | { outcome: 'updated'; user: UserRecord; previous: Pick<UserRecord, 'role' | 'active'> }
  | { outcome: 'missing' | 'last-admin' };

export interface UserAdminRepository {
  /** Users in (createdAt, id) order; `search` matches email or name, case-insensitively, literally. */
  list(request: PageRequest & { search: string | null }): Promise<Page<UserRecord> & { totalCount: number }>;
  /** Race-safe: of concurrent demotions/disables of the last admins, the last one standing is refused. */
  setRole(id: string, role: Role): Promise<AdminWrite>;
  setActive(id: string, active: boolean): Promise<AdminWrite>;
}
