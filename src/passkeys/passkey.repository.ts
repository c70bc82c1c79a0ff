// PasskeyRepository on Prisma.
import { ConflictError } from '../errors';
import type { PrismaClient } from '../generated/prisma/client';
import { databaseFailure } from '../infra/database-errors';
import { leavesNoWayIn } from '../users/sign-in-methods';
import type { NewPasskey, PasskeyRecord, PasskeyRemoval, PasskeyRepository } from './passkey';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface Row extends Omit<PasskeyRecord, 'counter'> {
  counter: bigint;
}

const toRecord = (row: Row): PasskeyRecord => ({ ...row, publicKey: new Uint8Array(row.publicKey), counter: Number(row.counter) });

export class PrismaPasskeyRepository implements PasskeyRepository {
  constructor(
    private readonly prisma: PrismaClient,
    /** The configured OpenID providers: a linked account elsewhere cannot sign in, so it does not count. */
    private readonly linkedProviders: readonly string[] = [],
  ) {}

  async listByUser(userId: string): Promise<PasskeyRecord[]> {
    const rows = await this.run(() => this.prisma.passkey.findMany({ where: { userId }, orderBy: { createdAt: 'asc' } }));
    return rows.map(toRecord);
  }

  async findByCredentialId(credentialId: string): Promise<PasskeyRecord | null> {
    const row = await this.run(() => this.prisma.passkey.findUnique({ where: { credentialId } }));
    return row ? toRecord(row) : null;
  }

  async create(passkey: NewPasskey): Promise<PasskeyRecord> {
    try {
      const row = await this.prisma.passkey.create({ data: { ...passkey, publicKey: Buffer.from(passkey.publicKey), counter: BigInt(passkey.counter) } });
      return toRecord(row);
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new ConflictError('This passkey is already registered');
      throw databaseFailure(error);
    }
  }

  async recordUse(id: string, counter: number): Promise<boolean> {
    const next = BigInt(counter);
    const { count } = await this.run(() =>
      this.prisma.passkey.updateMany({
        where: { id, OR: [{ counter: { lt: next } }, ...(counter === 0 ? [{ counter: 0n }] : [])] },
        data: { counter: next, lastUsedAt: new Date() },
      }),
    );
    return count === 1;
  }

  async delete(userId: string, id: string): Promise<PasskeyRemoval> {
    if (!UUID.test(id)) return 'missing';
    return this.run(() =>
      this.prisma.$transaction(async (tx) => {
        // The user's row is locked, so two removals cannot each see the other's passkey as the one left.
        const [user] = await tx.$queryRaw<Array<{ has_password: boolean }>>`
          SELECT password_hash IS NOT NULL AS has_password FROM users WHERE id = ${userId}::uuid FOR UPDATE`;
        const target = await tx.passkey.findFirst({ where: { id, userId }, select: { id: true } });
        if (!user || !target) return 'missing';
        const otherPasskeys = await tx.passkey.count({ where: { userId, id: { not: id } } });
        const linkedAccounts = await tx.linkedAccount.count({ where: { userId, provider: { in: [...this.linkedProviders] } } });
        if (leavesNoWayIn({ password: user.has_password, passkeys: otherPasskeys, linkedAccounts })) return 'last-way-in';
        await tx.passkey.delete({ where: { id } });
        return 'deleted';
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
