// ServiceClientRepository on Prisma.
import type { PrismaClient } from '../generated/prisma/client';
import { databaseFailure } from '../infra/database-errors';
import type { ServiceClientRecord, ServiceClientRepository } from './service-client';

const ID = /^pc_[A-Za-z0-9_-]{16}$/;

export class PrismaServiceClientRepository implements ServiceClientRepository {
  constructor(private readonly prisma: PrismaClient) {}

  create(client: { id: string; name: string; secretHash: string; scopes: string[] }): Promise<ServiceClientRecord> {
    return this.run(() => this.prisma.serviceClient.create({ data: client }));
  }

  findById(id: string): Promise<ServiceClientRecord | null> {
    if (!ID.test(id)) return Promise.resolve(null);
    return this.run(() => this.prisma.serviceClient.findUnique({ where: { id } }));
  }

  list(): Promise<ServiceClientRecord[]> {
    return this.run(() => this.prisma.serviceClient.findMany({ orderBy: [{ createdAt: 'asc' }, { id: 'asc' }] }));
  }

  rotateSecret(id: string, secretHash: string): Promise<ServiceClientRecord | null> {
    return this.updateIfExists(id, { secretHash, secretVersion: { increment: 1 } });
  }

  disable(id: string): Promise<ServiceClientRecord | null> {
    return this.updateIfExists(id, { disabled: true });
  }

  async touch(id: string, at: Date): Promise<void> {
    await this.run(() => this.prisma.serviceClient.updateMany({ where: { id }, data: { lastUsedAt: at } }));
  }

  private async updateIfExists(id: string, data: object): Promise<ServiceClientRecord | null> {
    if (!ID.test(id)) return null;
    return this.run(async () => {
      const { count } = await this.prisma.serviceClient.updateMany({ where: { id }, data });
      return count === 0 ? null : this.prisma.serviceClient.findUnique({ where: { id } });
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
