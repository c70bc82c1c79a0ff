// Benchmark data: users straight into PostgreSQL, sessions through the product's own
// RedisSessionStore (so their layout and memory are exactly what production writes), tokens signed
// with the service's keys.
import type { Redis } from 'ioredis';
import type pg from 'pg';
import type { TokenService } from '../src/auth/tokens';
import { newTokenId } from '../src/auth/tokens';
import { hashTokenId, newSessionId } from '../src/sessions/session-store';
import type { RedisSessionStore } from '../src/sessions/redis-session-store';

export const BENCH_PASSWORD = 'correct horse battery staple';
/** A desktop browser's user agent: sessions in the wild carry one about this long. */
export const USER_AGENT = 'Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36';

export interface BenchUser {
  id: string;
  email: string;
}

export interface BenchSession {
  userId: string;
  accessToken: string;
  refreshToken: string;
}

/** Inserts `count` users sharing one password hash, in batches; numbered from `first`. */
export async function seedUsers(pool: pg.Pool, first: number, count: number, passwordHash: string): Promise<BenchUser[]> {
  const users: BenchUser[] = [];
  const batch = 10_000;
  for (let start = first; start < first + count; start += batch) {
    const end = Math.min(start + batch, first + count) - 1;
    const { rows } = await pool.query<BenchUser>(
      `INSERT INTO users (id, email, name, password_hash, updated_at)
       SELECT gen_random_uuid(), 'bench-' || i || '@bench.example', 'Bench User ' || i, $1, now()
       FROM generate_series($2::int, $3::int) AS i
       RETURNING id, email`,
      [passwordHash, start, end],
    );
    users.push(...rows);
  }
  return users;
}

/**
 * Creates `count` sessions spread round-robin over `users`, `parallel` at a time (ioredis pipelines
 * them automatically). Returns tokens for every `sampleEvery`-th session only, to keep memory flat.
 */
export async function seedSessions(options: {
  store: RedisSessionStore;
  tokens: TokenService;
  users: readonly BenchUser[];
  count: number;
  sampleEvery: number;
  now: number;
  ttlSeconds: number;
}): Promise<BenchSession[]> {
  const { store, tokens, users, count, sampleEvery, now, ttlSeconds } = options;
  const sampled: BenchSession[] = [];
  const parallel = 500; // small batches: the Redis may be shared, other clients keep their latency
  for (let start = 0; start < count; start += parallel) {
    const writes: Promise<void>[] = [];
    for (let index = start; index < Math.min(start + parallel, count); index += 1) {
      const user = users[index % users.length]!;
      const id = newSessionId();
      const jti = newTokenId();
      const session = { id, userId: user.id, refreshJtiHash: hashTokenId(jti), createdAt: now, lastUsedAt: now, expiresAt: now + ttlSeconds };
      writes.push(store.create({ ...session, ip: `203.0.113.${index % 250}`, userAgent: USER_AGENT }, ttlSeconds));
      if (index % sampleEvery === 0) {
        sampled.push({
          userId: user.id,
          accessToken: tokens.signAccess({ sub: user.id, sid: id, role: 'USER' }).token,
          refreshToken: tokens.signRefresh({ sub: user.id, sid: id }, now + ttlSeconds, jti).token,
        });
      }
    }
    await Promise.all(writes);
  }
  return sampled;
}

export async function usedMemory(redis: Redis): Promise<number> {
  const info = await redis.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1] ?? NaN);
}

/** Deletes every key under `prefix` (and only those) with SCAN + UNLINK: the Redis is shared. */
export async function deletePrefix(redis: Redis, prefix: string): Promise<number> {
  let cursor = '0';
  let deleted = 0;
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 5_000);
    cursor = next;
    if (keys.length > 0) deleted += await redis.unlink(...keys);
  } while (cursor !== '0');
  return deleted;
}
