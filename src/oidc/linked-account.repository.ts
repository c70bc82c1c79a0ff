// LinkedAccountRepository on Prisma.
import type { PrismaClient } from '../generated/prisma/client';
import { databaseFailure } from '../infra/database-errors';
import type { NewUser, UserRecord } from '../users/user';
import { LinkConflictError, type LinkedAccountRecord, type LinkedAccountRepository, type NewLinkedAccount } from './linked-account';

export class PrismaLinkedAccountRepository implements LinkedAccountRepository {
  constructor(private readonly prisma: PrismaClient) {}

  find(provider: string, subject: string): Promise<LinkedAccountRecord | null> {
    return this.run(() => this.prisma.linkedAccount.findUnique({ where: { provider_subject: { provider, subject } } }));
  }

  listForUser(userId: string): Promise<LinkedAccountRecord[]> {
    return this.run(() => this.prisma.linkedAccount.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } }));
  }

  link(userId: string, account: NewLinkedAccount): Promise<LinkedAccountRecord> {
    return this.run(() => this.prisma.linkedAccount.create({ data: { userId, ...account } }));
  }

  createUserWithAccount(user: NewUser, account: NewLinkedAccount): Promise<UserRecord> {
    return this.run(() => this.prisma.user.create({ data: { ...user, linkedAccounts: { create: account } } }));
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.run(() => this.prisma.linkedAccount.updateMany({ where: { id }, data: { lastUsedAt: at } }));
  }

  unlinkIf(
    userId: string,
    provider: string,
    allowed: (remaining: { hasPassword: boolean; accounts: LinkedAccountRecord[] }) => boolean,
  ): Promise<'unlinked' | 'refused' | 'none'> {
    return this.run(() =>
      this.prisma.$transaction(async (tx) => {
        const rows = await tx.$queryRaw<Array<{ has_password: boolean }>>`
          SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
        const accounts = await tx.linkedAccount.findMany({ where: { userId } });
        const target = accounts.find((account) => account.provider === provider);
        if (!rows[0] || !target) return 'none';
        const remaining = { hasPassword: rows[0].has_password, accounts: accounts.filter((account) => account !== target) };
        if (!allowed(remaining)) return 'refused';
        await tx.linkedAccount.delete({ where: { id: target.id } });
        return 'unlinked';
      }),
    );
  }

  private async run<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new LinkConflictError();
      throw databaseFailure(error);
    }
  }
}
