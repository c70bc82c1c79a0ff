// What an attack left behind, read straight from the stores: sessions in Redis, users in PostgreSQL.
import { Redis } from 'ioredis';
import { decodeV2Auth } from '../../src/sessions/session-layout';
import type { TestServer } from './test-server';

/** Live sessions of a user, read from Redis (layout v2 and v1); null in embedded mode (the in-process store is not inspectable). */
export async function sessionKeyCount(server: TestServer, userId: string): Promise<number | null> {
  if (!server.config.redisUrl) return null;
  const redis = new Redis(server.config.redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1 });
  const prefix = `${server.config.redisKeyPrefix}{${userId}}`;
  try {
    await redis.connect();
    const fields = await redis.hgetall(`${prefix}:s2`);
    let count = Object.entries(fields).filter(([field, auth]) => !field.includes(':') && (decodeV2Auth(auth)?.lapsesAtMs ?? 0) > Date.now()).length;
    let cursor = '0';
    do {
      const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:s:*`, 'COUNT', 1000);
      cursor = next;
      count += keys.length;
    } while (cursor !== '0');
    return count;
  } finally {
    redis.disconnect();
  }
}

/** Users whose email is one of these, in this server's database. */
export const userCount = (server: TestServer, emails: string[]): Promise<number> =>
  server.database.prisma.user.count({ where: { email: { in: emails } } });

/** Asserts a user's live session count in Redis (embedded runs have no Redis to read, and skip this one check). */
export async function expectSessionCount(server: TestServer, userId: string, expected: number): Promise<void> {
  const count = await sessionKeyCount(server, userId);
  if (count !== null) expect(count).toBe(expected);
}
