// A bounded memo of access tokens whose signature and claims already verified, so a token presented
// again (every request of a client does) skips the JSON decode and the signature check. It never stands
// in for the session check, which still runs on every request: a revoked session is refused at once.
import type { KeyRing, VerificationKey } from './keys';

/** What a cached token verified to and with which key (its claims' exp and nbf bound its use). */
interface Entry<Claims> {
  readonly claims: Claims;
  readonly key: VerificationKey;
}

export class VerifiedTokens<Claims extends { readonly exp: number; readonly nbf?: number }> {
  private readonly entries = new Map<string, Entry<Claims>>();

  /** `maxEntries` bounds the memory (about 1 KB an entry); past it the oldest entry goes first. */
  constructor(
    private readonly maxEntries: number,
    private readonly clockToleranceSeconds: number,
  ) {}

  /**
   * The claims of a token verified before, if it would verify now: its key is still in the ring (a key
   * removed from it stops verifying at once) and `now` is still inside its nbf..exp window, with the
   * same tolerance and bounds as the full check. Otherwise nothing, and the caller verifies in full.
   */
  get(token: string, ring: KeyRing, now: number): Claims | undefined {
    const entry = this.entries.get(token);
    if (!entry) return undefined;
    const { claims, key } = entry;
    const inWindow = now < claims.exp + this.clockToleranceSeconds && !(claims.nbf !== undefined && claims.nbf > now + this.clockToleranceSeconds);
    if (ring.get(key.kid) === key && inWindow) return claims;
    this.entries.delete(token);
    return undefined;
  }

  set(token: string, claims: Claims, key: VerificationKey): void {
    if (this.entries.size >= this.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
    this.entries.set(token, { claims: Object.freeze(claims), key });
  }

  get size(): number {
    return this.entries.size;
  }
}
