// npm run admin:create -- --email admin@example.com [--name "Ada Admin"]
// Creates an ADMIN, or promotes (and enables) an existing user; idempotent. The password comes from
// ADMIN_PASSWORD or stdin (piped, or typed at a hidden prompt), never from argv, where other users
// of the machine and shell history could read it.
import '../src/infra/node-version';
import 'reflect-metadata';
import { parseArgs } from 'node:util';
import dotenv from 'dotenv';
import pino from 'pino';
import { ensureAdmin } from '../src/admin/admin-bootstrap';
import { PrismaUserAdminRepository } from '../src/admin/user-admin.repository';
import { CachedUserRepository } from '../src/users/cached-user.repository';
import { InvalidatingUserAdminRepository } from '../src/users/invalidating-user-admin.repository';
import { RedisUserChangeFeed } from '../src/users/user-change-feed';
import { PrismaAuditLog } from '../src/audit/audit-log.repository';
import { Argon2PasswordHasher } from '../src/auth/password';
import { ConfigError, loadConfig } from '../src/config/config';
import { BadUserInputError } from '../src/errors';
import { openDatabase } from '../src/infra/database';
import { migrateDatabase } from '../src/infra/migrate';
import { createRedis, waitForRedis } from '../src/infra/redis';
import { RedisSessionStore } from '../src/sessions/redis-session-store';
import { PrismaUserRepository } from '../src/users/user.repository';

const USAGE = 'usage: npm run admin:create -- --email <email> [--name <name>]   (password: ADMIN_PASSWORD or stdin)';

async function main(): Promise<number> {
  dotenv.config({ quiet: true });
  const argv = process.argv.slice(2);
  if (argv.some((arg) => /^--?(password|pass|pw)\b/i.test(arg))) {
    console.error('admin:create: never pass a password on the command line; set ADMIN_PASSWORD or pipe it on stdin');
    return 2;
  }
  let values: { email?: string; name?: string };
  try {
    ({ values } = parseArgs({ args: argv, options: { email: { type: 'string' }, name: { type: 'string' } }, strict: true }));
  } catch (error) {
    console.error(`admin:create: ${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (!values.email) {
    console.error(USAGE);
    return 2;
  }

  let config;
  try {
    config = loadConfig(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    for (const problem of error.problems) console.error(`config error: ${problem}`);
    return 1;
  }
  const password = process.env.ADMIN_PASSWORD || (await readPassword());
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const redis = config.redisUrl ? createRedis(config.redisUrl) : undefined;
  const feed = redis ? new RedisUserChangeFeed(redis, `${config.redisKeyPrefix}user-changed`) : undefined;
  const audit = new PrismaAuditLog(database.prisma, database.pool, pino({ level: 'warn' }, pino.destination(2)));
  try {
    if (redis && !(await waitForRedis(redis, 5_000))) throw new Error('Redis does not answer at REDIS_URL');
    await migrateDatabase(database.url);
    // Running instances cache users: with Redis, the role/active writes are announced to them (one invalidation point).
    const stored = new PrismaUserRepository(database.prisma);
    const cache = feed ? new CachedUserRepository(stored, feed, config.userCache) : undefined;
    const { outcome, user } = await ensureAdmin(
      {
        users: cache ?? stored,
        admin: cache ? new InvalidatingUserAdminRepository(new PrismaUserAdminRepository(database.prisma), cache) : new PrismaUserAdminRepository(database.prisma),
        hasher: new Argon2PasswordHasher(config.argon2),
        sessions: redis ? new RedisSessionStore(redis, config.redisKeyPrefix) : undefined,
        audit,
      },
      { email: values.email, name: values.name ?? 'Admin', password },
    );
    const said = { created: 'created admin', promoted: 'promoted to admin', unchanged: 'already an admin, nothing changed:' }[outcome];
    console.log(`admin:create: ${said} ${user.email} (${user.id})`);
    if (outcome === 'promoted' && !redis) console.log('admin:create: no REDIS_URL, so existing sessions keep their old role until they end');
    return 0;
  } catch (error) {
    if (error instanceof BadUserInputError) {
      for (const field of error.fields) console.error(`admin:create: ${field.field} ${field.message}`);
    } else {
      console.error(`admin:create: ${(error as Error).message}`);
    }
    return 1;
  } finally {
    await audit.flush();
    redis?.disconnect();
    await feed?.close();
    await database.close();
  }
}

/** Reads the password from piped stdin (one trailing newline dropped), or prompts without echo on a terminal. */
async function readPassword(): Promise<string | undefined> {
  const stdin = process.stdin;
  if (!stdin.isTTY) {
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks).toString('utf8').replace(/\r?\n$/, '') || undefined;
  }
  process.stderr.write('Password (for a new admin; Enter to skip): ');
  stdin.setRawMode(true);
  stdin.setEncoding('utf8');
  return new Promise((resolve) => {
    let typed = '';
    const onData = (key: string) => {
      if (key === '\u0003') process.exit(130); // Ctrl-C
      if (key === '\r' || key === '\n') {
        stdin.setRawMode(false);
        stdin.off('data', onData);
        stdin.pause();
        process.stderr.write('\n');
        resolve(typed || undefined);
      } else if (key === '\u007f') typed = [...typed].slice(0, -1).join('');
      else typed += key;
    };
    stdin.on('data', onData);
  });
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(`admin:create: ${(error as Error).message}`);
    process.exit(1);
  },
);
