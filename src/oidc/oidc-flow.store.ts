// Where a browser sign-in waits between /start and /callback (SPEC §12): the PKCE verifier, nonce and
// return address, under the state, for 10 minutes and single-use. Redis (shared by every instance), or
// in process in the embedded dev mode. The contract test runs both: test/integration/oidc-flow-store.contract.test.ts.
import { createHash } from 'node:crypto';
import { redisFailure, type RedisClient } from '../infra/redis';

export interface OidcFlow {
  provider: string;
  codeVerifier: string;
  nonce: string;
  /** Where the browser goes back to (already checked against the allow-list). */
  redirectTo: string;
  /** Set when a signed-in user links the provider account (link=1) rather than signing in. */
  linkUserId?: string;
}

export interface OidcFlowStore {
  save(state: string, flow: OidcFlow, ttlSeconds: number): Promise<void>;
  /** The flow saved under this state, removed in the same step: a second take finds nothing. */
  take(state: string): Promise<OidcFlow | null>;
}

/** Redis holds a digest of the state, so a read of Redis gives nothing to replay at /callback. */
const digest = (state: string): string => createHash('sha256').update(state).digest('base64url');

export class RedisOidcFlowStore implements OidcFlowStore {
  constructor(
    private readonly redis: RedisClient,
    private readonly keyPrefix: string,
  ) {}

  private key(state: string): string {
    return `${this.keyPrefix}oidc-flow:{${digest(state)}}`;
  }

  async save(state: string, flow: OidcFlow, ttlSeconds: number): Promise<void> {
    await this.call(() => this.redis.set(this.key(state), JSON.stringify(flow), 'EX', ttlSeconds));
  }

  async take(state: string): Promise<OidcFlow | null> {
    const value = await this.call(() => this.redis.getdel(this.key(state)));
    return value === null ? null : (JSON.parse(value) as OidcFlow);
  }

  private async call<T>(command: () => Promise<T>): Promise<T> {
    try {
      return await command();
    } catch (error) {
      throw redisFailure(error);
    }
  }
}

export class MemoryOidcFlowStore implements OidcFlowStore {
  private readonly flows = new Map<string, { flow: OidcFlow; expiresAtMs: number }>();

  constructor(private readonly nowMs: () => number = Date.now) {}

  async save(state: string, flow: OidcFlow, ttlSeconds: number): Promise<void> {
    this.sweep();
    this.flows.set(digest(state), { flow: { ...flow }, expiresAtMs: this.nowMs() + ttlSeconds * 1000 });
  }

  async take(state: string): Promise<OidcFlow | null> {
    const key = digest(state);
    const entry = this.flows.get(key);
    this.flows.delete(key);
    if (!entry || entry.expiresAtMs <= this.nowMs()) return null;
    return entry.flow;
  }

  /** Abandoned flows are dropped on the next save. Flows share one lifetime, so the oldest come first. */
  private sweep(): void {
    const now = this.nowMs();
    for (const [key, entry] of this.flows) {
      if (entry.expiresAtMs > now) break;
      this.flows.delete(key);
    }
  }
}
