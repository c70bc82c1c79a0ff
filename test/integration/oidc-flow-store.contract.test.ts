// The OidcFlowStore contract (src/oidc/oidc-flow.store.ts), run against RedisOidcFlowStore on the real
// Redis (when there is one) and MemoryOidcFlowStore: a started sign-in is found once, and only once.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis, waitForRedis } from '../../src/infra/redis';
import { MemoryOidcFlowStore, RedisOidcFlowStore, type OidcFlow, type OidcFlowStore } from '../../src/oidc/oidc-flow.store';

const newState = () => randomBytes(32).toString('base64url');
const newFlow = (overrides: Partial<OidcFlow> = {}): OidcFlow => ({
  provider: 'test',
  codeVerifier: randomBytes(32).toString('base64url'),
  nonce: randomBytes(16).toString('base64url'),
  redirectTo: 'https://app.example.com/back',
  ...overrides,
});

function oidcFlowStoreContract(name: string, makeStore: () => Promise<OidcFlowStore>): void {
  describe(`${name} (OidcFlowStore contract)`, () => {
    let store: OidcFlowStore;
    beforeAll(async () => {
      store = await makeStore();
    });

    it('gives back the flow saved under a state, with everything it held', async () => {
      const state = newState();
      const flow = newFlow({ linkUserId: '7d0c6d3e-9a55-4b8c-8f0e-4f3f0b8e2a11' });
      await store.save(state, flow, 60);
      expect(await store.take(state)).toEqual(flow);
    });

    it('gives a flow only once: a second take finds nothing', async () => {
      const state = newState();
      await store.save(state, newFlow(), 60);
      expect(await store.take(state)).not.toBeNull();
      expect(await store.take(state)).toBeNull();
    });

    it('gives a flow to exactly one of many concurrent takes', async () => {
      const state = newState();
      await store.save(state, newFlow(), 60);
      const taken = await Promise.all(Array.from({ length: 10 }, () => store.take(state)));
      expect(taken.filter((flow) => flow !== null)).toHaveLength(1);
    });

    it('finds nothing for a state it never saw', async () => {
      expect(await store.take(newState())).toBeNull();
    });

    it('keeps flows apart: taking one leaves the others', async () => {
      const [a, b] = [newState(), newState()];
      const [flowA, flowB] = [newFlow({ provider: 'a' }), newFlow({ provider: 'b' })];
      await store.save(a, flowA, 60);
      await store.save(b, flowB, 60);
      expect(await store.take(a)).toEqual(flowA);
      expect(await store.take(b)).toEqual(flowB);
    });

    it('forgets a flow once its time is up', async () => {
      const state = newState();
      await store.save(state, newFlow(), 1);
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      expect(await store.take(state)).toBeNull();
    });
  });
}

oidcFlowStoreContract('MemoryOidcFlowStore', async () => new MemoryOidcFlowStore());

const redisUrl = process.env.PORTCULLIS_TEST_REDIS;
if (redisUrl) {
  const prefix = `portcullis-test:oidc-flow-${randomBytes(6).toString('hex')}:`;
  let redis: Redis;
  beforeAll(async () => {
    redis = createRedis(redisUrl);
    if (!(await waitForRedis(redis, 5_000))) throw new Error(`Redis at ${redisUrl} did not answer`);
  });
  afterAll(async () => {
    const keys = await redis.keys(`${prefix}*`);
    if (keys.length > 0) await redis.del(...keys);
    redis.disconnect();
  });

  oidcFlowStoreContract('RedisOidcFlowStore', async () => new RedisOidcFlowStore(redis, prefix));

  describe('RedisOidcFlowStore in Redis', () => {
    it('names the key by a digest of the state, never the state itself, and lets Redis expire it', async () => {
      const store = new RedisOidcFlowStore(redis, prefix);
      const state = newState();
      await store.save(state, newFlow(), 600);
      const keys = await redis.keys(`${prefix}*`);
      const key = keys.find((candidate) => candidate.startsWith(`${prefix}oidc-flow:`))!;
      expect(key).toMatch(/^.*oidc-flow:\{[A-Za-z0-9_-]{43}\}$/); // a digest in a hash tag
      expect(key).not.toContain(state);
      expect(await redis.ttl(key)).toBeGreaterThan(590);
      await store.take(state);
    });
  });
}
