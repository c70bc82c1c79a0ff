// `npm run bench -- --peers`: better-auth in three modes (BA, BA-redis, BA-cookie), each a child process
// running bench/peers/better-auth-server.mjs, in a database and Redis key prefix of their own. Installs
// bench/peers' own dependencies on first use: the peers are never dependencies of the product, and the
// root build, lint and CI never need them.
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import path from 'node:path';
import type { Redis } from 'ioredis';
import type pg from 'pg';
import { BENCH_PASSWORD, deletePrefix } from '../seed';

export const PEER_DESCRIPTIONS: Record<string, string> = {
  BA: 'better-auth me, sessions in PostgreSQL, no cookie cache (revokes at once)',
  'BA-redis': 'better-auth me, sessions in Redis (secondaryStorage), no cookie cache',
  'BA-cookie': 'better-auth me with the cookie cache on (revocation waits for its maxAge)',
};
const MODES = { BA: 'db', 'BA-redis': 'redis', 'BA-cookie': 'cookie' } as const;
export type PeerName = keyof typeof MODES;

export interface PeerSession {
  userId: string;
  /** The Cookie header a browser would send: better-auth.session_token (and session_data with the cache). */
  cookie: string;
}

export interface Peer {
  url: string;
  sessions: PeerSession[];
}

export interface Peers {
  peers: Partial<Record<PeerName, Peer>>;
  cleanup(): Promise<void>;
}

type Reply = { type: string; result?: unknown; error?: string; url?: string };

const PEERS_DIR = path.resolve(__dirname, '..', '..', '..', 'bench', 'peers');

function installDependencies(): void {
  if (existsSync(path.join(PEERS_DIR, 'node_modules'))) return;
  console.log('installing the peers (npm ci --prefix bench/peers)');
  const result = spawnSync('npm', ['ci', '--prefix', PEERS_DIR, '--no-audit', '--no-fund'], { stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm ci --prefix bench/peers failed with ${result.status}`);
}

/** Sends one command and waits for its answer (the server answers each command type in order). */
function ask(child: ChildProcess, command: { type: string } & Record<string, unknown>): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const onMessage = (reply: Reply) => {
      if (reply.type !== command.type) return;
      child.off('message', onMessage);
      if (reply.error) reject(new Error(`peer ${command.type} failed: ${reply.error}`));
      else resolve(reply.result);
    };
    child.on('message', onMessage);
    child.send(command);
  });
}

function startPeer(env: Record<string, string>, children: ChildProcess[]): Promise<{ child: ChildProcess; url: string }> {
  const profile = process.env.BENCH_CPU_PROF ? ['--cpu-prof', `--cpu-prof-dir=${process.env.BENCH_CPU_PROF}`] : [];
  const child = fork(path.join(PEERS_DIR, 'better-auth-server.mjs'), [], { env, stdio: 'inherit', execArgv: profile });
  children.push(child);
  return new Promise((resolve, reject) => {
    child.once('exit', (code) => reject(new Error(`peer server exited with ${code}`)));
    child.once('message', (message: Reply) => (message.type === 'ready' && message.url ? resolve({ child, url: message.url }) : reject(new Error('unexpected message from the peer'))));
  });
}

/**
 * Creates the peers' database, starts the asked-for modes (their servers join `children`, which the run
 * stops), signs up `users` users once and signs each mode in `sessions` times round-robin.
 */
export async function startPeers(options: {
  names: readonly PeerName[];
  admin: pg.Pool;
  adminUrl: string;
  redisUrl: string;
  redis: Redis;
  id: string;
  users: number;
  sessions: number;
  children: ChildProcess[];
}): Promise<Peers> {
  installDependencies();
  const databaseName = `portcullis_bench_${options.id}_peers`;
  const prefix = `pcb-peers:${options.id}:`;
  const url = new URL(options.adminUrl);
  url.pathname = `/${databaseName}`;
  await options.admin.query(`CREATE DATABASE "${databaseName}"`);
  const cleanup = async () => {
    const deleted = await deletePrefix(options.redis, prefix).catch(() => -1);
    await options.admin.query(`DROP DATABASE IF EXISTS "${databaseName}" WITH (FORCE)`);
    console.log(`cleaned up the peers: ${deleted} Redis keys under ${prefix}, database ${databaseName}`);
  };
  const env = {
    ...(process.env as Record<string, string>),
    NODE_ENV: 'production',
    DATABASE_URL: url.toString(),
    REDIS_URL: options.redisUrl,
    REDIS_KEY_PREFIX: prefix,
    BETTER_AUTH_SECRET: randomBytes(32).toString('base64url'),
  };
  const users = Array.from({ length: options.users }, (_, i) => ({ email: `peer-${i}@bench.example`, name: `Peer User ${i}` }));
  const peers: Peers['peers'] = {};
  try {
    let migrated = false;
    for (const name of options.names) {
      const { child, url: peerUrl } = await startPeer({ ...env, BA_MODE: MODES[name] }, options.children);
      if (!migrated) await ask(child, { type: 'migrate' });
      const started = performance.now();
      const sessions = (await ask(child, { type: 'seed', users, signUp: !migrated, sessions: options.sessions, password: BENCH_PASSWORD })) as PeerSession[];
      console.log(`${name}: ${migrated ? '' : `${users.length} sign-ups and `}${sessions.length} sign-ins in ${((performance.now() - started) / 1000).toFixed(1)} s`);
      migrated = true;
      peers[name] = { url: peerUrl, sessions };
    }
  } catch (error) {
    await cleanup().catch(() => undefined);
    throw error;
  }
  return { peers, cleanup };
}

/** One `me` per peer, checked, so that a broken peer fails loudly instead of measuring errors. */
export async function preflightPeers(peers: Peers['peers']): Promise<void> {
  for (const [name, peer] of Object.entries(peers)) {
    const session = peer.sessions[0]!;
    const response = await fetch(peer.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', cookie: session.cookie },
      body: JSON.stringify({ query: '{ me { id email name role } }' }),
    });
    const json = (await response.json()) as { data?: { me?: { id: string; email: string } } };
    if (response.status !== 200 || json.data?.me?.id !== session.userId) throw new Error(`preflight ${name} failed: ${JSON.stringify(json)}`);
  }
}
