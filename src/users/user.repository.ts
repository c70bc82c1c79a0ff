// UserRepository on Prisma. Emails arrive already normalised (trimmed, lower-cased) from the service.
import { ConflictError } from '../errors';
import type { PrismaClient } from '../generated/prisma/client';
import { databaseFailure } from '../infra/database-errors';
import type { NewUser, UserRecord, UserRepository } from './user';

export class PrismaUserRepository implements UserRepository {
  constructor(private readonly prisma: PrismaClient) {}

  findById(id: string): Promise<UserRecord | null> {
    if (!UUID.test(id)) return Promise.resolve(null);
    return this.run(() => this.prisma.user.findUnique({ where: { id } }));
  }

  findByEmail(email: string): Promise<UserRecord | null> {
    return this.run(() => this.prisma.user.findUnique({ where: { email } }));
  }

  async create(user: NewUser): Promise<UserRecord> {
    try {
      return await this.prisma.user.create({ data: user });
    } catch (error) {
      if ((error as { code?: string }).code === 'P2002') throw new ConflictError('An account with this email already exists');
      throw databaseFailure(error);
    }
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.run(() => this.prisma.user.update({ where: { id }, data: { passwordHash } }));
  }

  async delete(id: string): Promise<void> {
    await this.run(() => this.prisma.user.deleteMany({ where: { id } }));
  }

  private async run<T>(query: () => Promise<T>): Promise<T> {
    try {
      return await query();
    } catch (error) {
      throw databaseFailure(error);
    }
  }
}

/** Ids are UUIDs; anything else cannot name a user (and would make PostgreSQL reject the cast). */
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
