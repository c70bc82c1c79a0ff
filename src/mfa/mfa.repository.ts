// Where TOTP factors and recovery codes live (PostgreSQL). The single-use rules are conditional writes,
// so they hold across instances: a time step only moves forward, a recovery code is marked used once.
import type { PrismaClient } from '../generated/prisma/client';
import { databaseFailure } from '../infra/database-errors';

export interface TotpFactor {
  userId: string;
  secretCiphertext: string;
  /** Null: an enrollment not yet confirmed. */
  confirmedAt: Date | null;
  createdAt: Date;
}

export interface MfaRepository {
  findTotp(userId: string): Promise<TotpFactor | null>;
  /** Starts (or restarts) an enrollment at `startedAt` (the service's clock); false when the user already has a confirmed factor. */
  savePendingTotp(userId: string, secretCiphertext: string, startedAt: Date): Promise<boolean>;
  /** Turns a pending enrollment on with its first step and recovery codes; false if it was not pending. */
  confirmTotp(userId: string, step: number, recoveryCodeHashes: readonly string[]): Promise<boolean>;
  /** Records `step` as used if it is newer than every step used before: true once per step, on every instance. */
  useTotpStep(userId: string, step: number): Promise<boolean>;
  rewriteSecret(userId: string, secretCiphertext: string): Promise<void>;
  replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void>;
  /** Marks the code used; true for exactly one caller. */
  useRecoveryCode(userId: string, hash: string): Promise<boolean>;
  unusedRecoveryCodes(userId: string): Promise<number>;
  /** Removes the factor (pending or not) and every recovery code; true when a confirmed factor existed. */
  removeTotp(userId: string): Promise<boolean>;
}

export class PrismaMfaRepository implements MfaRepository {
  constructor(private readonly prisma: PrismaClient) {}

  findTotp(userId: string): Promise<TotpFactor | null> {
    return this.run(() =>
      this.prisma.totpFactor.findUnique({ where: { userId }, select: { userId: true, secretCiphertext: true, confirmedAt: true, createdAt: true } }),
    );
  }

  async savePendingTotp(userId: string, secretCiphertext: string, startedAt: Date): Promise<boolean> {
    return this.run(async () => {
      // One statement: an enrollment never overwrites a confirmed factor, even when two race.
      const rows = await this.prisma.$executeRaw`
        INSERT INTO totp_factors (user_id, secret_ciphertext, created_at) VALUES (${userId}::uuid, ${secretCiphertext}, ${startedAt})
        ON CONFLICT (user_id) DO UPDATE SET secret_ciphertext = EXCLUDED.secret_ciphertext, created_at = EXCLUDED.created_at, last_used_step = NULL
        WHERE totp_factors.confirmed_at IS NULL`;
      return rows === 1;
    });
  }

  async confirmTotp(userId: string, step: number, recoveryCodeHashes: readonly string[]): Promise<boolean> {
    return this.run(() =>
      this.prisma.$transaction(async (tx) => {
        const { count } = await tx.totpFactor.updateMany({ where: { userId, confirmedAt: null }, data: { confirmedAt: new Date(), lastUsedStep: step } });
        if (count !== 1) return false;
        await tx.recoveryCode.deleteMany({ where: { userId } });
        await tx.recoveryCode.createMany({ data: recoveryCodeHashes.map((codeHash) => ({ userId, codeHash })) });
        return true;
      }),
    );
  }

  async useTotpStep(userId: string, step: number): Promise<boolean> {
    const { count } = await this.run(() =>
      this.prisma.totpFactor.updateMany({
        where: { userId, confirmedAt: { not: null }, OR: [{ lastUsedStep: null }, { lastUsedStep: { lt: step } }] },
        data: { lastUsedStep: step },
      }),
    );
    return count === 1;
  }

  async rewriteSecret(userId: string, secretCiphertext: string): Promise<void> {
    await this.run(() => this.prisma.totpFactor.updateMany({ where: { userId }, data: { secretCiphertext } }));
  }

  async replaceRecoveryCodes(userId: string, hashes: readonly string[]): Promise<void> {
    await this.run(() =>
      this.prisma.$transaction([
        this.prisma.recoveryCode.deleteMany({ where: { userId } }),
        this.prisma.recoveryCode.createMany({ data: hashes.map((codeHash) => ({ userId, codeHash })) }),
      ]),
    );
  }

  async useRecoveryCode(userId: string, hash: string): Promise<boolean> {
    const { count } = await this.run(() =>
      this.prisma.recoveryCode.updateMany({ where: { userId, codeHash: hash, usedAt: null }, data: { usedAt: new Date() } }),
    );
    return count === 1;
  }

  unusedRecoveryCodes(userId: string): Promise<number> {
    return this.run(() => this.prisma.recoveryCode.count({ where: { userId, usedAt: null } }));
  }

  async removeTotp(userId: string): Promise<boolean> {
    return this.run(async () => {
      const [removed] = await this.prisma.$transaction([
        this.prisma.totpFactor.deleteMany({ where: { userId, confirmedAt: { not: null } } }),
        this.prisma.totpFactor.deleteMany({ where: { userId } }),
        this.prisma.recoveryCode.deleteMany({ where: { userId } }),
      ]);
      return removed.count === 1;
    });
  }

  private async run<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw databaseFailure(error);
    }
  }
}
