// better-auth behind the same Express 5 + Apollo Server 5 `me { id email name role }` shape as
// Portcullis, for `npm run bench -- --peers`. A child process of bench/run.ts (like bench/server.ts);
// plain JavaScript run by node, so that the root build never needs bench/peers/node_modules.
//
// BA_MODE picks the variant:
//   db     sessions in PostgreSQL, no cookie cache: every request reads the session (and its user),
//          so a revoked session is refused at once, as in Portcullis
//   redis  the same with better-auth's Redis secondaryStorage (@better-auth/redis-storage, ioredis):
//          sessions live in Redis
//   cookie the db mode with the cookie cache on: a signed session_data cookie answers until maxAge,
//          so a revoked session keeps working until then
// Environment: DATABASE_URL, REDIS_URL, REDIS_KEY_PREFIX, BETTER_AUTH_SECRET, BA_MODE.
// Commands (IPC): { type: 'migrate' } (better-auth's own getMigrations), { type: 'seed', ... }, { type: 'stop' }.
import { createHash } from 'node:crypto';
import { ApolloServer } from '@apollo/server';
import { expressMiddleware } from '@as-integrations/express5';
import { redisStorage } from '@better-auth/redis-storage';
import { betterAuth } from 'better-auth';
import { getMigrations } from 'better-auth/db/migration';
import { fromNodeHeaders } from 'better-auth/node';
import express from 'express';
import { GraphQLError } from 'graphql';
import { Redis } from 'ioredis';
import pg from 'pg';

const mode = process.env.BA_MODE ?? 'db';
if (!['db', 'redis', 'cookie'].includes(mode)) throw new Error(`BA_MODE must be db, redis or cookie, not ${mode}`);
/** Long enough that the cache answers for the whole run: the load generator never stores a refreshed cookie. */
const COOKIE_CACHE_SECONDS = 60 * 60;

const cheapHash = async (password) => createHash('sha256').update(password).digest('base64url');

const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
const redis = mode === 'redis' ? new Redis(process.env.REDIS_URL) : undefined;

const auth = betterAuth({
  baseURL: 'http://127.0.0.1',
  secret: process.env.BETTER_AUTH_SECRET,
  database: pool,
  // Only `me` is compared, never sign-in: a cheap hash instead of better-auth's scrypt lets the run sign
  // in thousands of times in seconds (Portcullis's bench users share one precomputed argon2 hash likewise).
  emailAndPassword: { enabled: true, password: { hash: cheapHash, verify: ({ hash, password }) => cheapHash(password).then((h) => h === hash) } },
  user: { additionalFields: { role: { type: 'string', defaultValue: 'USER', input: false } } },
  // The benchmark signs in thousands of times; Portcullis's limits are lifted in the bench too.
  rateLimit: { enabled: false },
  telemetry: { enabled: false },
  advanced: { useSecureCookies: false },
  // better-auth's own Redis secondary storage (@better-auth/redis-storage), on an ioredis client.
  ...(redis && { secondaryStorage: redisStorage({ client: redis, keyPrefix: process.env.REDIS_KEY_PREFIX }) }),
  session: mode === 'cookie' ? { cookieCache: { enabled: true, maxAge: COOKIE_CACHE_SECONDS } } : {},
});

const typeDefs = `#graphql
  type User { id: ID! email: String name: String role: String }
  type Query { me: User }
`;
const resolvers = {
  Query: {
    me: (_parent, _args, context) => {
      if (!context.session) throw new GraphQLError('Not signed in', { extensions: { code: 'UNAUTHENTICATED' } });
      const { id, email, name, role } = context.session.user;
      return { id, email, name, role };
    },
  },
};

const apollo = new ApolloServer({ typeDefs, resolvers });
await apollo.start();
const app = express();
app.use(
  '/graphql',
  express.json(),
  expressMiddleware(apollo, { context: async ({ req }) => ({ session: await auth.api.getSession({ headers: fromNodeHeaders(req.headers) }) }) }),
);
const server = await new Promise((resolve) => {
  const listening = app.listen(0, '127.0.0.1', () => resolve(listening));
});
const url = `http://127.0.0.1:${server.address().port}/graphql`;

/** The Cookie header a browser would send after this sign-in: every cookie better-auth set. */
function cookieHeader(headers) {
  return headers
    .getSetCookie()
    .map((line) => line.split(';', 1)[0])
    .filter((pair) => !pair.endsWith('='))
    .join('; ');
}

/** Signs up `users` (if asked), then signs in `sessions` times round-robin; answers each sign-in's cookies. */
async function seed({ users, signUp, sessions, password }) {
  if (signUp) {
    for (const user of users) await auth.api.signUpEmail({ body: { email: user.email, name: user.name, password } });
  }
  const cookies = new Array(sessions);
  const parallel = 16;
  for (let start = 0; start < sessions; start += parallel) {
    await Promise.all(
      Array.from({ length: Math.min(parallel, sessions - start) }, async (_, offset) => {
        const index = start + offset;
        const user = users[index % users.length];
        const { headers, response } = await auth.api.signInEmail({ body: { email: user.email, password }, returnHeaders: true });
        cookies[index] = { userId: response.user.id, cookie: cookieHeader(headers) };
      }),
    );
  }
  return cookies;
}

process.on('message', (command) => {
  const reply = (work) =>
    work.then(
      (result) => process.send({ type: command.type, result }),
      (error) => process.send({ type: command.type, error: String(error?.stack ?? error) }),
    );
  if (command.type === 'migrate') reply(getMigrations(auth.options).then(({ runMigrations }) => runMigrations()));
  if (command.type === 'seed') reply(seed(command));
  if (command.type === 'stop') {
    server.close();
    void Promise.allSettled([apollo.stop(), pool.end(), redis?.quit()]).then(() => process.exit(0));
  }
});
process.send({ type: 'ready', url });
