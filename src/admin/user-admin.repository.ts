// UserAdminRepository on Prisma. The last-admin rule holds under concurrency: every write that could
// remove an active ADMIN first locks all active admins (SELECT … FOR UPDATE), so concurrent demotions
// and disables run one after another and the later ones see the earlier ones' effect.
import type { PrismaClient } from '../generated/prisma/client';
import type { Page, PageRequest } from '../common/pagination';
import { afterPosition } from '../common/pagination';
import { databaseFailure } from '../infra/database-errors';
import type { Role, UserRecord } from '../users/user';
import type { AdminWrite, UserAdminRepository } from './user-admin';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export class PrismaUserAdminRepository implements UserAdminRepository {
  constructor(private readonly prisma: PrismaClient) {}

  async list(request: PageRequest & { search: string | null }): Promise<Page<UserRecord> & { totalCount: number }> {
    // Prisma's `contains` passes LIKE wildcards through: escape them so a search is literal.
    const pattern = request.search?.replace(/[\\%_]/g, (character) => `\\${character}`);
    const filter = pattern
      ? {
          OR: [
            { email: { contains: pattern, mode: 'insensitive' as const } },
            { name: { contains: pattern, mode: 'insensitive' as const } },
          ],
        }
      : {};
    return this.run(async () => {
      const [rows, totalCount] = await Promise.all([
        this.prisma.user.findMany({
          where: { AND: [filter, afterPosition(request.after)] },
          orderBy: [{ createdAt: 'asc' }, { id: 'asc' }],
          take: request.first + 1,
        }),
        this.prisma.user.count({ where: filter }),
      ]);
      return { items: rows.slice(0, request.first), hasNextPage: rows.length > request.first, totalCount };
    });
  }

  setRole(id: string, role: Role): Promise<AdminWrite> {
    return this.guardedWrite(id, role !== 'ADMIN', { role });
  }

  setActive(id: string, active: boolean): Promise<AdminWrite> {
    return this.guardedWrite(id, !active, { active });
  }

  /** `removesAdmin`: the write would take the target out of the active admins, if it is one. */
  private async guardedWrite(id: string, removesAdmin: boolean, data: { role?: Role; active?: boolean }): Promise<AdminWrite> {
    if (!UUID.test(id)) return { outcome: 'missing' };
    return this.run(() =>
      this.prisma.$transaction(async (tx) => {
        if (removesAdmin) {
          const admins = await tx.$queryRaw<{ id: string }[]>`SELECT id::text AS id FROM users WHERE role = 'ADMIN' AND active FOR UPDATE`;
          if (admins.length === 1 && admins[0]!.id === id.toLowerCase()) return { outcome: 'last-admin' as const };
        }
        const previous = await tx.user.findUnique({ where: { id }, select: { role: true, active: true } });
        if (!previous) return { outcome: 'missing' as const };
        return { outcome: 'updated' as const, previous, user: await tx.user.update({ where: { id }, data }) };
      }),
    );
  }

  private async run<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw databaseFailure(error);
    }
  }
}
