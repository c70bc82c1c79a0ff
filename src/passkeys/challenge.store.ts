// WebAuthn challenges (SPEC §11): single-use, 5 minutes. Registration challenges are stored and taken
// (GETDEL: one taker across every instance); sign-in challenges are signed, not stored
// (sign-in-challenge.ts), and only claimed once used (SET NX). On Redis or in process (dev mode); both
// pass test/integration/mfa-stores.contract.test.ts.
import { createHash } from 'node:crypto';
import { redisFailure, type RedisClient } from '../infra/redis';

/** What a challenge was made for: a viewer's new passkey, or a sign-in (by anyone). */
export type ChallengePurpose = { kind: 'registration'; userId: string } | { kind: 'authentication' };

export interface ChallengeStore {
  put(challenge: string, purpose: ChallengePurpose, ttlSeconds: number): Promise<void>;
  /** The challenge's purpose, removing it: a second take, or one after it expired, answers null. */
  take(challenge: string): Promise<ChallengePurpose | null>;
  /** Marks a challenge used for `ttlSeconds`: true the first time, false while it is marked (a replay). */
  claim(challenge: string, ttlSeconds: number): Promise<boolean>;
}

/** Challenges arrive back from clients: a digest keeps the key short and brace-free whatever they send. */
const digest = (challenge: string): string => createHash('sha256').update(challenge).digest('base64url');

export class RedisChallengeStore implements ChallengeStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  async put(challenge: string, purpose: ChallengePurpose, ttlSeconds: number): Promise<void> {
    await this.call(() => this.redis.set(this.key(challenge), JSON.stringify(purpose), 'EX', ttlSeconds));
  }

  async take(challenge: string): Promise<ChallengePurpose | null> {
    const stored = await this.call(() => this.redis.getdel(this.key(challenge)));
    return stored === null ? null : (JSON.parse(stored) as ChallengePurpose);
  }

  async claim(challenge: string, ttlSeconds: number): Promise<boolean> {
    return (await this.call(() => this.redis.set(this.key(challenge, 'webauthn-used'), '1', 'EX', ttlSeconds, 'NX'))) === 'OK';
  }

  private key(challenge: string, space: 'webauthn' | 'webauthn-used' = 'webauthn'): string {
    return `${this.keyPrefix}{${space}:${digest(challenge)}}`;
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw redisFailure(error);
    }
  }
}

export class MemoryChallengeStore implements ChallengeStore {
  private readonly challenges = new Map<string, { purpose: ChallengePurpose; expiresAtMs: number }>();
  private readonly used = new Map<string, number>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  async put(challenge: string, purpose: ChallengePurpose, ttlSeconds: number): Promise<void> {
    const now = this.nowMs();
    for (const [key, entry] of this.challenges) if (entry.expiresAtMs <= now) this.challenges.delete(key);
    this.challenges.set(digest(challenge), { purpose, expiresAtMs: now + ttlSeconds * 1000 });
  }

  async take(challenge: string): Promise<ChallengePurpose | null> {
    const key = digest(challenge);
    const entry = this.challenges.get(key);
    this.challenges.delete(key);
    return entry && entry.expiresAtMs > this.nowMs() ? entry.purpose : null;
  }

  async claim(challenge: string, ttlSeconds: number): Promise<boolean> {
    const now = this.nowMs();
    for (const [key, expiresAtMs] of this.used) if (expiresAtMs <= now) this.used.delete(key);
    const key = digest(challenge);
    if (this.used.has(key)) return false;
    this.used.set(key, now + ttlSeconds * 1000);
    return true;
  }
}
