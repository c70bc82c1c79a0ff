// Passkey sign-in challenges that cost the server nothing until they come back: random bytes, an expiry
// and an HMAC tag (a sub-key of the refresh signing key), so the anonymous passkeyLoginOptions stores
// nothing and cannot be used to fill Redis. Single use is kept where it matters: a challenge that comes
// back with a sign-in is claimed in the ChallengeStore (SET NX) until it would have expired anyway.
import { createHmac, randomBytes, timingSafeEqual, type KeyObject } from 'node:crypto';

const NONCE_BYTES = 16;
const EXPIRY_BYTES = 6;
const TAG_BYTES = 16;
const LENGTH = NONCE_BYTES + EXPIRY_BYTES + TAG_BYTES;
/** The HKDF label of the tag key: changing it refuses every challenge in flight (5 minutes' worth) once. */
export const SIGN_IN_CHALLENGE_KEY_LABEL = 'portcullis passkey sign-in challenge v1';

export class SignInChallenges {
  constructor(
    private readonly key: KeyObject,
    private readonly nowSeconds: () => number,
  ) {}

  /** A new challenge that verifies for `ttlSeconds`. */
  issue(ttlSeconds: number): Uint8Array<ArrayBuffer> {
    const body = Buffer.alloc(NONCE_BYTES + EXPIRY_BYTES);
    randomBytes(NONCE_BYTES).copy(body);
    body.writeUIntBE(this.nowSeconds() + ttlSeconds, NONCE_BYTES, EXPIRY_BYTES);
    const challenge = new Uint8Array(LENGTH);
    challenge.set(body);
    challenge.set(this.tag(body), body.length);
    return challenge;
  }

  /** Seconds the challenge (base64url, as clientDataJSON carries it) has left; null when it is not ours or has expired. */
  secondsLeft(challenge: string): number | null {
    const bytes = Buffer.from(challenge, 'base64url');
    if (bytes.length !== LENGTH || bytes.toString('base64url') !== challenge) return null;
    const body = bytes.subarray(0, NONCE_BYTES + EXPIRY_BYTES);
    if (!timingSafeEqual(this.tag(body), bytes.subarray(body.length))) return null;
    const left = body.readUIntBE(NONCE_BYTES, EXPIRY_BYTES) - this.nowSeconds();
    return left > 0 ? left : null;
  }

  private tag(body: Buffer): Buffer {
    return createHmac('sha256', this.key).update(body).digest().subarray(0, TAG_BYTES);
  }
}
