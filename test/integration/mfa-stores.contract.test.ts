// The contracts of the second factor's short-lived stores (issue 13), run against the Redis
// implementation on the real Redis (when there is one) and the in-process one: both must behave alike.
// MfaAttemptStore: what each mfaToken has seen. ChallengeStore: single-use WebAuthn challenges.
import { randomBytes } from 'node:crypto';
import type { Redis } from 'ioredis';
import { createRedis, waitForRedis } from '../../src/infra/redis';
import { MemoryMfaAttemptStore, RedisMfaAttemptStore, type MfaAttemptStore } from '../../src/mfa/mfa-attempt.store';
import { MemoryChallengeStore, RedisChallengeStore, type ChallengeStore } from '../../src/passkeys/challenge.store';

const MAX = 5;
const TTL = 60;
const newId = (): string => randomBytes(16).toString('base64url');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

interface Opened<T> {
  store: T;
  close: () => Promise<void>;
}

function mfaAttemptStoreContract(name: string, makeStore: () => Promise<Opened<MfaAttemptStore>>): void {
  describe(`${name} (MfaAttemptStore contract)`, () => {
    let store: MfaAttemptStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await makeStore());
    });
    afterAll(() => close());

    it('holds a token it has never seen as live', async () => {
      expect(await store.isLive(newId(), MAX)).toBe(true);
    });

    it('counts wrong codes down to 0 attempts left, after which the token is dead and cannot be used', async () => {
      const jti = newId();
      const left = [];
      for (let attempt = 0; attempt < MAX; attempt += 1) left.push(await store.recordFailure(jti, MAX, TTL));

      expect(left).toEqual([4, 3, 2, 1, 0]);
      expect(await store.isLive(jti, MAX)).toBe(false);
      expect(await store.consume(jti, MAX, TTL)).toBe(false);
      expect(await store.recordFailure(jti, MAX, TTL)).toBe(0);
    });

    it('lets a live token be used once: the second use and later failures find it dead', async () => {
      const jti = newId();
      await store.recordFailure(jti, MAX, TTL);

      expect(await store.consume(jti, MAX, TTL)).toBe(true);
      expect(await store.consume(jti, MAX, TTL)).toBe(false);
      expect(await store.isLive(jti, MAX)).toBe(false);
      expect(await store.recordFailure(jti, MAX, TTL)).toBe(0);
    });

    it('lets exactly one of many concurrent uses win', async () => {
      const jti = newId();
      const results = await Promise.all(Array.from({ length: 10 }, () => store.consume(jti, MAX, TTL)));
      expect(results.filter(Boolean)).toHaveLength(1);
    });

    it('forgets a token after its time to live', async () => {
      const jti = newId();
      await store.consume(jti, MAX, 1);
      await sleep(2_100);
      expect(await store.isLive(jti, MAX)).toBe(true); // its JWT has expired by then anyway
    });
  });
}

function challengeStoreContract(name: string, makeStore: () => Promise<Opened<ChallengeStore>>): void {
  describe(`${name} (ChallengeStore contract)`, () => {
    let store: ChallengeStore;
    let close: () => Promise<void>;
    beforeAll(async () => {
      ({ store, close } = await makeStore());
    });
    afterAll(() => close());

    it('gives a challenge’s purpose back once, then null', async () => {
      const challenge = newId();
      await store.put(challenge, { kind: 'registration', userId: 'user-1' }, TTL);

      expect(await store.take(challenge)).toEqual({ kind: 'registration', userId: 'user-1' });
      expect(await store.take(challenge)).toBeNull();
    });

    it('answers null for a challenge it never made, whatever its shape', async () => {
      for (const challenge of [newId(), '', '{braces}', 'x'.repeat(10_000)]) expect(await store.take(challenge)).toBeNull();
    });

    it('gives a challenge to exactly one of many concurrent takers', async () => {
      const challenge = newId();
      await store.put(challenge, { kind: 'authentication' }, TTL);
      const taken = await Promise.all(Array.from({ length: 10 }, () => store.take(challenge)));
      expect(taken.filter((purpose) => purpose !== null)).toEqual([{ kind: 'authentication' }]);
    });

    it('claims a challenge once: a second claim, or many at once, find it used until its time to live ends', async () => {
      const challenge = newId();
      const claims = await Promise.all(Array.from({ length: 10 }, () => store.claim(challenge, 1)));
      expect(claims.filter(Boolean)).toHaveLength(1);
      expect(await store.claim(challenge, 1)).toBe(false);
      expect(await store.take(challenge)).toBeNull(); // a claimed challenge is not a stored one
      await sleep(2_100);
      expect(await store.claim(challenge, 1)).toBe(true); // by then its signature has expired anyway
    });

    it('drops a challenge after its time to live', async () => {
      const challenge = newId();
      await store.put(challenge, { kind: 'authentication' }, 1);
      await sleep(2_100);
      expect(await store.take(challenge)).toBeNull();
    });
  });
}

const inProcess = <T>(store: T) => async () => ({ store, close: async () => undefined });
mfaAttemptStoreContract('MemoryMfaAttemptStore', inProcess(new MemoryMfaAttemptStore()));
challengeStoreContract('MemoryChallengeStore', inProcess(new MemoryChallengeStore()));

const redisUrl = process.env.PORTCULLIS_TEST_REDIS;
const redisPrefix = `portcullis-test:mfa-contract-${randomBytes(6).toString('hex')}:`;

async function onRedis<T>(build: (redis: Redis) => T): Promise<Opened<T>> {
  const redis = createRedis(redisUrl!);
  if (!(await waitForRedis(redis, 5_000))) throw new Error(`Redis at ${redisUrl} did not answer`);
  return { store: build(redis), close: async () => void (await redis.quit()) };
}

if (redisUrl) {
  mfaAttemptStoreContract('RedisMfaAttemptStore', () => onRedis((redis) => new RedisMfaAttemptStore(redis, redisPrefix)));
  challengeStoreContract('RedisChallengeStore', () => onRedis((redis) => new RedisChallengeStore(redis, redisPrefix)));

  describe('the Redis stores on a Redis that is gone', () => {
    it('fail closed with SERVICE_UNAVAILABLE rather than answering live or a challenge', async () => {
      const dead = createRedis('redis://127.0.0.1:1');
      try {
        const attempts = new RedisMfaAttemptStore(dead, redisPrefix);
        const challenges = new RedisChallengeStore(dead, redisPrefix);
        for (const operation of [attempts.isLive(newId(), MAX), attempts.consume(newId(), MAX, TTL), challenges.take(newId()), challenges.put(newId(), { kind: 'authentication' }, TTL), challenges.claim(newId(), TTL)]) {
          await expect(operation).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
        }
      } finally {
        dead.disconnect();
      }
    });
  });
}
