// The memo of verified access tokens (src/auth/verified-tokens.ts): it may only ever answer what a
// full verification would answer now, and it stays within its bound.
import { secretSigningKey, type KeyRing } from '../../src/auth/keys';
import { VerifiedTokens } from '../../src/auth/verified-tokens';

const TOLERANCE = 5;
const key = secretSigningKey('a-32-byte-secret-for-these-tests-only');
const otherKey = secretSigningKey('another-32-byte-secret-for-these-tests');
const ring = (...keys: (typeof key)[]): KeyRing => new Map(keys.map((k) => [k.kid, k]));
const claims = (exp: number, nbf?: number) => ({ sub: 'u', exp, ...(nbf === undefined ? {} : { nbf }) });

describe('a verified access token remembered', () => {
  it('is answered from memory while its key is in the ring and it has not expired', () => {
    const memo = new VerifiedTokens<ReturnType<typeof claims>>(10, TOLERANCE);
    memo.set('t', claims(1_000, 0), key);

    expect(memo.get('t', ring(key), 500)).toEqual({ sub: 'u', exp: 1_000, nbf: 0 });
    expect(memo.get('unknown', ring(key), 500)).toBeUndefined();
  });

  it('is forgotten at once when its key leaves the ring, or another key takes its kid', () => {
    const memo = new VerifiedTokens<ReturnType<typeof claims>>(10, TOLERANCE);
    memo.set('t', claims(1_000), key);
    expect(memo.get('t', ring(otherKey), 500)).toBeUndefined();
    expect(memo.size).toBe(0);

    memo.set('t', claims(1_000), key);
    expect(memo.get('t', new Map([[key.kid, otherKey]]), 500)).toBeUndefined();
    expect(memo.get('t', ring(key), 500)).toBeUndefined(); // gone: the next check verifies in full again
  });

  it('expires with the same tolerance as the full check: valid until exp + 5 s, not from then on', () => {
    const memo = new VerifiedTokens<ReturnType<typeof claims>>(10, TOLERANCE);
    memo.set('t', claims(1_000), key);

    expect(memo.get('t', ring(key), 1_004)).toBeDefined();
    expect(memo.get('t', ring(key), 1_005)).toBeUndefined();
  });

  it('is not answered before nbf - 5 s if the clock goes back', () => {
    const memo = new VerifiedTokens<ReturnType<typeof claims>>(10, TOLERANCE);
    memo.set('t', claims(2_000, 1_000), key);

    expect(memo.get('t', ring(key), 995)).toBeDefined();
    expect(memo.get('t', ring(key), 994)).toBeUndefined();
  });

  it('keeps at most its bound, forgetting the oldest first', () => {
    const memo = new VerifiedTokens<ReturnType<typeof claims>>(3, TOLERANCE);
    for (const token of ['a', 'b', 'c', 'd']) memo.set(token, claims(1_000), key);

    expect(memo.size).toBe(3);
    expect(['a', 'b', 'c', 'd'].map((token) => memo.get(token, ring(key), 0) !== undefined)).toEqual([false, true, true, true]);
  });

  it('hands out claims nobody can change', () => {
    const memo = new VerifiedTokens<ReturnType<typeof claims>>(3, TOLERANCE);
    memo.set('t', claims(1_000), key);

    expect(Object.isFrozen(memo.get('t', ring(key), 0))).toBe(true);
  });
});
