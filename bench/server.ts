// One Portcullis instance for the benchmark, run as a child process of bench/run.ts so that the load
// generator never shares its event loop. BENCH_CONTEXT=jwt-only assembles the "S" variant: the same
// app whose session store answers ownerOf from the token alone (SuperTokens-style, no revocation).
// That switch lives here, in the benchmark, never in the product.
import 'reflect-metadata';
import argon2 from 'argon2';
import { createApp } from '../src/app';
import { cpuMessage } from './cpu';
import { createRateLimits } from '../src/auth/rate-limit';
import { loadConfig } from '../src/config/config';
import { openDatabase } from '../src/infra/database';
import { createLogger } from '../src/infra/logger';
import { createRedis, waitForRedis } from '../src/infra/redis';
import { RedisSessionStore } from '../src/sessions/redis-session-store';
import type { SessionStore } from '../src/sessions/session-store';
import { RedisUserChangeFeed } from '../src/users/user-change-feed';

export type ServerMessage =
  | { type: 'ready'; url: string; coprocessorUrl?: string }
  | { type: 'argon2'; operations: number; seconds: number }
  | { type: 'cpu'; micros: number };
export type ServerCommand = { type: 'argon2'; hash: string; password: string; seconds: number; concurrency: number } | { type: 'cpu' } | { type: 'stop' };

/** Trusts the token's subject instead of reading the session: prices what immediate revocation costs. */
function withoutSessionCheck(store: SessionStore): SessionStore {
  return new Proxy(store, {
    get(target, property, receiver) {
      if (property === 'ownerOf') return (_sessionId: string, userId: string) => Promise.resolve(userId);
      return Reflect.get(target, property, receiver) as unknown;
    },
  });
}

/** A bare argon2.verify loop in this process, `concurrency` at a time: what login throughput is compared with. */
async function argon2Loop(command: Extract<ServerCommand, { type: 'argon2' }>): Promise<ServerMessage> {
  const started = performance.now();
  const until = started + command.seconds * 1000;
  let operations = 0;
  const worker = async () => {
    while (performance.now() < until) {
      await argon2.verify(command.hash, command.password);
      operations += 1;
    }
  };
  await Promise.all(Array.from({ length: command.concurrency }, worker));
  return { type: 'argon2', operations, seconds: (performance.now() - started) / 1000 };
}

async function main(): Promise<void> {
  const config = loadConfig(process.env);
  const logger = createLogger(config);
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const redis = createRedis(config.redisUrl!, logger);
  await waitForRedis(redis, 5_000);
  const store = new RedisSessionStore(redis, config.redisKeyPrefix);
  const sessions = process.env.BENCH_CONTEXT === 'jwt-only' ? withoutSessionCheck(store) : store;
  const userChanges = new RedisUserChangeFeed(redis, `${config.redisKeyPrefix}user-changed`);
  const rateLimits = createRateLimits(config.rateLimits, { kind: 'redis', redis, keyPrefix: config.redisKeyPrefix }, config.jwt.keys!, logger);
  const app = await createApp(config, { database, sessions, rateLimits, keys: config.jwt.keys!, logger, userChanges });
  const url = await app.listen(0, '127.0.0.1');
  const coprocessorUrl = await app.coprocessor?.listen(0, '127.0.0.1');
  const send = (message: ServerMessage) => process.send?.(message);
  process.on('message', (command: ServerCommand) => {
    if (command.type === 'argon2') void argon2Loop(command).then(send);
    if (command.type === 'cpu') send(cpuMessage());
    if (command.type === 'stop') {
      void app
        .close()
        .then(() => Promise.allSettled([userChanges.close(), store.close(), database.close()]))
        .then(() => process.exit(0));
    }
  });
  send({ type: 'ready', url, coprocessorUrl });
}

main().catch((error: unknown) => {
  console.error('bench server failed to start:', error);
  process.exit(1);
});
