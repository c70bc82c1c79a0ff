// npm run bench [-- --quick | --smoke] [--peers] [--only=F,BA,...]: starts the real service (createApp
// on real PostgreSQL and Redis, in a database and key prefix of its own), runs the variants of issue 4
// in interleaved rounds, prints the table and writes it to bench/results/<mode>.json. --peers adds
// better-auth in three modes (bench/peers). Cleans up after itself.
import 'reflect-metadata';
import { fork, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import pg from 'pg';
import { Argon2PasswordHasher } from '../src/auth/password';
import { systemClock, TokenService } from '../src/auth/tokens';
import { loadConfig } from '../src/config/config';
import { migrateDatabase } from '../src/infra/migrate';
import { createRedis } from '../src/infra/redis';
import { RedisSessionStore } from '../src/sessions/redis-session-store';
import { checkCoprocessor, coprocessorShape } from './coprocessor';
import { measure, shapes, type Measurement } from './load';
import { PEER_DESCRIPTIONS, preflightPeers, startPeers, type PeerName, type Peers } from './peers/peers';
import { formatTable, ratios, type Rounds } from './report';
import { BENCH_PASSWORD, deletePrefix, seedSessions, seedUsers, usedMemory, type BenchSession } from './seed';
import type { ServerCommand, ServerMessage } from './server';

const PROFILES = {
  full: { seconds: 10, warmup: 3, rounds: 5, scaleSessions: 1_000_000, scaleUsers: 100_000 },
  quick: { seconds: 5, warmup: 2, rounds: 3, scaleSessions: 100_000, scaleUsers: 10_000 },
  smoke: { seconds: 1, warmup: 0, rounds: 1, scaleSessions: 2_000, scaleUsers: 200 },
};
const CONNECTIONS = 10;
const LOGIN_CONNECTIONS = 4;
const BASE_USERS = 100;
const BASE_SESSIONS = 1_000;
const REFRESH_CHAINS = 2_000;

const DESCRIPTIONS: Record<string, string> = {
  H: 'anonymous { __typename }: the Apollo pipeline alone',
  H0: 'the same on a bare Express 5 + Apollo Server 5 app (the ceiling of H)',
  F: 'me { id email name role }, Bearer token',
  'F-cookie': 'the same with the access_token cookie',
  S: 'F through a context that only verifies the JWT (no session check)',
  L: 'login (argon2id verify + session create)',
  argon2: 'bare argon2.verify loop in the server process, ARGON2_CONCURRENCY at a time',
  'F during L': 'F while a login storm runs',
  X: 'refresh: every connection rotates its own chain',
  'F at scale': 'F with the scale data set loaded',
  'H at scale': 'H with the scale data set loaded (machine drift check)',
  ...PEER_DESCRIPTIONS,
  C: 'coprocessor: a RouterRequest with a Bearer token, on its own listener',
  C0: 'bare node:http JSON echo of the same body, own process (C\'s ceiling)',
};

async function main(): Promise<void> {
  const mode = process.argv.includes('--smoke') ? 'smoke' : process.argv.includes('--quick') ? 'quick' : 'full';
  const profile = { ...PROFILES[mode] };
  const adminUrl = process.env.BENCH_DATABASE_URL || process.env.TEST_DATABASE_URL || 'postgresql://postgres@127.0.0.1:5432/postgres';
  const redisUrl = process.env.BENCH_REDIS_URL || process.env.TEST_REDIS_URL || 'redis://127.0.0.1:6379';
  const id = randomBytes(4).toString('hex');
  const databaseName = `portcullis_bench_${id}`;
  const databaseUrl = withDatabase(adminUrl, databaseName);
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    LOG_LEVEL: 'warn',
    DATABASE_URL: databaseUrl,
    REDIS_URL: redisUrl,
    REDIS_KEY_PREFIX: `pcb:${id}:`,
    JWT_SECRET: randomBytes(32).toString('base64url'),
    JWT_REFRESH_SECRET: randomBytes(32).toString('base64url'),
    // Production mode needs these too (SPEC §10, §11). No mail is sent: verification is off, and the
    // SMTP address answers nothing, so a mail could only wait in the queue.
    DATA_ENCRYPTION_KEY: randomBytes(32).toString('base64'),
    SMTP_URL: 'smtp://127.0.0.1:9',
    EMAIL_VERIFICATION: 'off',
    ACCESS_TOKEN_TTL: '1h',
    RATE_LIMIT_LOGIN_PER_ACCOUNT: '1000000000',
    RATE_LIMIT_LOGIN_PER_IP: '1000000000',
    RATE_LIMIT_REGISTER_PER_IP: '1000000000',
    RATE_LIMIT_REFRESH_PER_IP: '1000000000',
    COPROCESSOR_PORT: '0', // the bench server listens on a free port and reports it
  };
  const config = loadConfig(env);
  const admin = new pg.Pool({ connectionString: adminUrl, max: 1 });
  const redis = createRedis(redisUrl);
  const loader = new Redis(redisUrl, { enableAutoPipelining: true, lazyConnect: true });
  const children: ChildProcess[] = [];
  let pool: pg.Pool | undefined;
  let peers: Peers | undefined;
  console.log(`Portcullis benchmark (${mode}): database ${databaseName}, Redis prefix ${env.REDIS_KEY_PREFIX}`);
  console.log(`machine: ${os.availableParallelism()} cores, ${os.cpus()[0]?.model ?? '?'}, node ${process.version}, load ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
  console.log('load generator: autocannon in this process; each server is a child process; all share the same cores');

  try {
    await admin.query(`CREATE DATABASE "${databaseName}"`);
    await migrateDatabase(databaseUrl);
    pool = new pg.Pool({ connectionString: databaseUrl, max: 2 });
    // Seeding a million sessions queues many scripts at once: its own client, without the product's 1 s time-out.
    const store = new RedisSessionStore(loader, config.redisKeyPrefix);
    const tokens = new TokenService(config.jwt.keys!, config.jwt);
    const passwordHash = await new Argon2PasswordHasher(config.argon2).hash(BENCH_PASSWORD);
    const now = systemClock();
    const ttlSeconds = config.jwt.refreshTokenTtl.seconds;

    const users = await seedUsers(pool, 0, BASE_USERS, passwordHash);
    const sessions = await seedSessions({ store, tokens, users, count: BASE_SESSIONS, sampleEvery: 1, now, ttlSeconds });
    const chains = await seedSessions({ store, tokens, users, count: REFRESH_CHAINS, sampleEvery: 1, now, ttlSeconds });

    const product = await startServer(env, children);
    const jwtOnly = await startServer({ ...env, BENCH_CONTEXT: process.env.BENCH_S_CONTEXT ?? 'jwt-only' }, children);
    const echo = await startServer(env, children, 'echo-server.js');
    await preflight(product.url, jwtOnly.url, sessions, chains);
    await checkCoprocessor(product.coprocessorUrl!, sessions[0]!);
    const bare = await startServer(env, children, 'h0-server.js');
    await preflightBare(bare.url);
    const idleChains = chains.map((chain) => ({ token: chain.refreshToken }));
    const only = process.argv.find((arg) => arg.startsWith('--only='))?.slice('--only='.length).split(',');
    if (process.argv.includes('--peers')) {
      const names = (Object.keys(PEER_DESCRIPTIONS) as PeerName[]).filter((name) => !only || only.includes(name));
      peers = await startPeers({ names, admin, adminUrl, redisUrl, redis, id, users: BASE_USERS, sessions: BASE_SESSIONS, children });
      await preflightPeers(peers.peers);
    }

    const variants: Record<string, () => Promise<Measurement>> = {
      H: () => withCpu(product, () => measure(product.url, shapes.anonymous(), run())),
      H0: () => withCpu(bare, () => measure(bare.url, shapes.anonymous(), run())),
      F: () => withCpu(product, () => measure(product.url, shapes.meBearer(sessions), run())),
      'F-cookie': () => withCpu(product, () => measure(product.url, shapes.meCookie(sessions), run())),
      S: () => withCpu(jwtOnly, () => measure(jwtOnly.url, shapes.meBearer(sessions), run())),
      L: () => measure(product.url, shapes.login(users), { ...run(), connections: LOGIN_CONNECTIONS }),
      argon2: () => product.argon2(passwordHash, profile.seconds, config.argon2.concurrency),
      'F during L': async () => {
        const [during] = await Promise.all([
          measure(product.url, shapes.meBearer(sessions), run()),
          measure(product.url, shapes.login(users), { ...run(), connections: LOGIN_CONNECTIONS }),
        ]);
        return during;
      },
      X: () => withCpu(product, () => measure(product.url, shapes.refresh(idleChains), run())),
      ...Object.fromEntries(Object.entries(peers?.peers ?? {}).map(([name, peer]) => [name, () => measure(peer.url, shapes.meCookieHeader(peer.sessions), run())])),
      C: () => withCpu(product, () => measure(product.coprocessorUrl!, coprocessorShape(sessions), run())),
      C0: () => withCpu(echo, () => measure(echo.url, coprocessorShape(sessions), run())),
    };
    function run() {
      return { seconds: profile.seconds, connections: CONNECTIONS };
    }

    if (only) for (const name of Object.keys(variants)) if (!only.includes(name)) delete variants[name];
    const rounds: Rounds = {};
    if (profile.warmup > 0) {
      console.log('warming up');
      for (const variant of Object.values(variants)) {
        await variant();
      }
    }
    for (let round = 1; round <= profile.rounds; round += 1) {
      for (const [name, variant] of Object.entries(variants)) {
        const result = await variant();
        (rounds[name] ??= []).push(result);
        const cpu = result.cpuMicros === undefined ? '' : `  cpu ${result.cpuMicros.toFixed(0)} µs/req`;
        console.log(`round ${round}/${profile.rounds} ${name.padEnd(11)} ${result.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${result.p99} ms  failures ${result.failures}${cpu}`);
      }
    }

    // Scale: loading a million sessions takes a while, so these rounds follow the 1k rounds rather than
    // alternating with them; "H at scale" shows how much the machine itself drifted meanwhile.
    if (only && !only.includes('F at scale')) Object.assign(profile, { scaleSessions: 0, scaleUsers: 0 });
    console.log(`loading ${profile.scaleUsers} users and ${profile.scaleSessions} sessions`);
    const memoryBefore = await usedMemory(redis);
    const loadStarted = performance.now();
    const scaleUsers = await seedUsers(pool, BASE_USERS, profile.scaleUsers, passwordHash);
    const sampleEvery = Math.max(1, Math.floor(profile.scaleSessions / 1_000));
    const scaleSessions = await seedSessions({ store, tokens, users: scaleUsers, count: profile.scaleSessions, sampleEvery, now, ttlSeconds });
    const bytesPerSession = (await usedMemory(redis)) - memoryBefore;
    const memory = { sessions: profile.scaleSessions, bytesPerSession: bytesPerSession / Math.max(1, profile.scaleSessions), goal: 300 };
    console.log(`loaded in ${((performance.now() - loadStarted) / 1000).toFixed(1)} s; Redis used_memory grew ${(memory.bytesPerSession).toFixed(0)} bytes per session`);
    for (let round = 1; round <= (profile.scaleSessions > 0 ? profile.rounds : 0); round += 1) {
      for (const [name, shape] of [
        ['F at scale', () => shapes.meBearer(scaleSessions)],
        ['H at scale', () => shapes.anonymous()],
      ] as const) {
        const result = await measure(product.url, shape(), run());
        (rounds[name] ??= []).push(result);
        console.log(`round ${round}/${profile.rounds} ${name.padEnd(11)} ${result.requestsPerSecond.toFixed(0).padStart(7)} req/s  p99 ${result.p99} ms  failures ${result.failures}`);
      }
    }

    const ratioResults = ratios(rounds);
    const table = formatTable(rounds, DESCRIPTIONS, ratioResults);
    console.log(`\n${table}`);
    if (memory.sessions > 0) console.log(`Redis memory per session at ${memory.sessions} sessions: ${memory.bytesPerSession.toFixed(0)} bytes (goal ≤ ${memory.goal})`);
    const failures = Object.values(rounds).flat().reduce((sum, m) => sum + m.failures, 0);
    if (failures > 0) console.log(`WARNING: ${failures} failed requests: these figures are not valid`);
    const resultsDir = path.join(findRepoRoot(), 'bench', 'results');
    mkdirSync(resultsDir, { recursive: true });
    const out = path.join(resultsDir, `${mode}.json`);
    const machine = { cores: os.availableParallelism(), cpu: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() };
    writeFileSync(out, `${JSON.stringify({ mode, date: new Date().toISOString(), machine, profile, connections: CONNECTIONS, loginConnections: LOGIN_CONNECTIONS, rounds, ratios: ratioResults, memory, table }, null, 2)}\n`);
    console.log(`written to ${path.relative(process.cwd(), out)}`);
    if (failures > 0) process.exitCode = 1;
  } finally {
    await Promise.all(children.map(stopServer));
    const deleted = await deletePrefix(redis, config.redisKeyPrefix).catch(() => -1);
    console.log(`cleaned up: ${deleted} Redis keys under ${config.redisKeyPrefix}, database ${databaseName}`);
    await peers?.cleanup().catch((error: unknown) => console.error('peers cleanup failed:', error));
    await pool?.end();
    await admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    await admin.end();
    redis.disconnect();
    loader.disconnect();
  }
}

interface BenchServer {
  url: string;
  coprocessorUrl?: string;
  /** The server process's CPU time so far, in µs. */
  cpu(): Promise<number>;
  argon2(hash: string, seconds: number, concurrency: number): Promise<Measurement>;
}

function startServer(env: Record<string, string>, children: ChildProcess[], script = 'server.js'): Promise<BenchServer> {
  // BENCH_CPU_PROF=<dir>: each server writes a V8 CPU profile there when it stops.
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(path.join(__dirname, script), [], { env, stdio: 'inherit', execArgv: profile });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`bench server exited with ${code}`)));
    child.once('message', (message: ServerMessage) => {
      if (message.type !== 'ready') return reject(new Error('unexpected message from the bench server'));
      resolve({
        url: message.url,
        coprocessorUrl: message.coprocessorUrl,
        cpu: () =>
          new Promise((done) => {
            child.once('message', (reply: ServerMessage) => done(reply.type === 'cpu' ? reply.micros : NaN));
            child.send({ type: 'cpu' } satisfies ServerCommand);
          }),
        argon2: (hash, seconds, concurrency) =>
          new Promise((done) => {
            child.once('message', (reply: ServerMessage) => {
              if (reply.type !== 'argon2') return;
              done({ requestsPerSecond: reply.operations / reply.seconds, p50: 0, p99: 0, requests: reply.operations, failures: 0 });
            });
            child.send({ type: 'argon2', hash, password: BENCH_PASSWORD, seconds, concurrency } satisfies ServerCommand);
          }),
      });
    });
  });
}

/** The server's CPU time spent during the measurement, per request (it serves nothing else meanwhile). */
async function withCpu(server: BenchServer, measurement: () => Promise<Measurement>): Promise<Measurement> {
  const before = await server.cpu();
  const result = await measurement();
  return { ...result, cpuMicros: ((await server.cpu()) - before) / Math.max(1, result.requests) };
}

function stopServer(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
    child.removeAllListeners('exit').once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.send({ type: 'stop' } satisfies ServerCommand);
  });
}

/** One request of each kind, checked, so that a broken variant fails loudly instead of measuring errors. */
async function preflight(url: string, jwtOnlyUrl: string, sessions: BenchSession[], chains: BenchSession[]): Promise<void> {
  const post = async (target: string, body: object, headers: Record<string, string> = {}) => {
    const response = await fetch(target, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
    const json = (await response.json()) as { data?: Record<string, unknown>; errors?: unknown[] };
    if (response.status !== 200 || json.errors || !json.data) throw new Error(`preflight failed: ${JSON.stringify(json)}`);
    return json.data;
  };
  const session = sessions[0]!;
  const me = { query: '{ me { id email } }' };
  await post(url, { query: '{ __typename }' });
  const viewer = (await post(url, me, { authorization: `Bearer ${session.accessToken}` })).me as { id: string; email: string | null };
  if (viewer.id !== session.userId || !viewer.email) throw new Error('preflight: me is not the token holder');
  await post(url, me, { cookie: `access_token=${session.accessToken}` });
  await post(jwtOnlyUrl, me, { authorization: `Bearer ${session.accessToken}` });
  const chain = chains.pop()!;
  await post(url, { query: 'mutation ($t: String) { refresh(refreshToken: $t) { accessToken } }', variables: { t: chain.refreshToken } });
}

/** H0 answers H's request with H's answer, or its figures would not be comparable. */
async function preflightBare(url: string): Promise<void> {
  const response = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ __typename }' }) });
  const text = await response.text();
  if (response.status !== 200 || text !== '{"data":{"__typename":"Query"}}\n') throw new Error(`H0 preflight failed: ${response.status} ${text}`);
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

function findRepoRoot(): string {
  return path.resolve(__dirname, '..', '..');
}

main().catch((error: unknown) => {
  console.error('benchmark failed:', error);
  process.exit(1);
});
