// A Redis Cluster of a test's own (scripts/redis-cluster.sh on free ports, state in a temp dir), for
// tests that kill its nodes: the shared cluster of `npm run cluster:up` stays untouched.
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { Redis } from 'ioredis';

const run = promisify(execFile);
const SCRIPT = path.join(__dirname, '..', '..', 'scripts', 'redis-cluster.sh');

export interface OwnCluster {
  readonly ports: number[];
  /** REDIS_CLUSTER_NODES for it. */
  readonly nodes: string;
  /** The master serving `key`'s slot, as a port. */
  masterOf(key: string): Promise<number>;
  /** `port: role` of every node still answering, as CLUSTER NODES reports it from a live node. */
  roles(): Promise<Map<number, { role: 'master' | 'replica'; masterPort?: number; slots: boolean }>>;
  /** SIGKILL, as a crashed host: no shutdown, no goodbye to the cluster. */
  kill(port: number): void;
  stop(): Promise<void>;
}

export async function startOwnCluster(): Promise<OwnCluster> {
  const base = await freeBase();
  const dir = mkdtempSync(path.join(tmpdir(), 'portcullis-cluster-'));
  await run(SCRIPT, ['up', String(base), dir], { timeout: 60_000 });
  const ports = Array.from({ length: 6 }, (_, index) => base + index);
  const client = (port: number) => new Redis({ port, host: '127.0.0.1', lazyConnect: true, retryStrategy: () => null, maxRetriesPerRequest: 0 });
  const killed = new Set<number>();

  async function onAnyLiveNode<T>(command: (redis: Redis) => Promise<T>): Promise<T> {
    for (const port of ports.filter((candidate) => !killed.has(candidate))) {
      const redis = client(port);
      redis.on('error', () => undefined);
      try {
        await redis.connect();
        return await command(redis);
      } catch {
        // next node
      } finally {
        redis.disconnect();
      }
    }
    throw new Error('no node of the cluster answers');
  }

  return {
    ports,
    nodes: ports.map((port) => `127.0.0.1:${port}`).join(','),
    async masterOf(key) {
      return onAnyLiveNode(async (redis) => {
        const slot = (await redis.cluster('KEYSLOT', key));
        const range = (await redis.cluster('SLOTS')).find(([from, to]) => slot >= from && slot <= to);
        const master = range?.[2];
        if (!master) throw new Error(`slot ${slot} has no master`);
        return master[1];
      });
    },
    async roles() {
      const text = await onAnyLiveNode((redis) => redis.cluster('NODES') as Promise<string>);
      const ids = new Map<string, number>();
      const lines = text.trim().split('\n').map((line) => line.split(' '));
      for (const fields of lines) ids.set(fields[0]!, Number(fields[1]!.split(':')[1]!.split('@')[0]));
      const roles = new Map<number, { role: 'master' | 'replica'; masterPort?: number; slots: boolean }>();
      for (const fields of lines) {
        const port = ids.get(fields[0]!)!;
        if (fields[2]!.includes('fail') && !fields[2]!.includes('fail?')) continue;
        const master = fields[2]!.includes('master');
        roles.set(port, { role: master ? 'master' : 'replica', masterPort: master ? undefined : ids.get(fields[3]!), slots: fields.length > 8 });
      }
      return roles;
    },
    kill(port) {
      const pid = Number(readFileSync(path.join(dir, String(port), 'redis.pid'), 'utf8'));
      process.kill(pid, 'SIGKILL');
      killed.add(port);
    },
    async stop() {
      await run(SCRIPT, ['down', String(base), dir], { timeout: 30_000 }).catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Six consecutive free ports whose cluster-bus ports (+10000) are free too. */
async function freeBase(): Promise<number> {
  for (let attempt = 0; attempt < 50; attempt += 1) {
    const base = 20_000 + Math.floor(Math.random() * 9_000);
    const ports = Array.from({ length: 6 }, (_, index) => [base + index, base + index + 10_000]).flat();
    if ((await Promise.all(ports.map(isFree))).every(Boolean)) return base;
  }
  throw new Error('no six free ports found for a Redis Cluster');
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = net.createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}
