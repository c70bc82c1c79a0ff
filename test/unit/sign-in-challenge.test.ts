// Signed passkey sign-in challenges: only ours, unaltered and unexpired verify.
import { createSecretKey, randomBytes } from 'node:crypto';
import { SignInChallenges } from '../../src/passkeys/sign-in-challenge';

let now = 1_800_000_000;
const key = createSecretKey(randomBytes(32));
const challenges = new SignInChallenges(key, () => now);
const encode = (bytes: Uint8Array) => Buffer.from(bytes).toString('base64url');

describe('SignInChallenges', () => {
  it('verifies a challenge it issued, with the seconds it has left, each one different', () => {
    const first = encode(challenges.issue(300));
    expect(challenges.secondsLeft(first)).toBe(300);
    now += 100;
    expect(challenges.secondsLeft(first)).toBe(200);
    expect(encode(challenges.issue(300))).not.toBe(first);
  });

  it('refuses it once expired', () => {
    const challenge = encode(challenges.issue(300));
    now += 300;
    expect(challenges.secondsLeft(challenge)).toBeNull();
  });

  it('refuses any changed byte, another key, another length and a non-canonical encoding', () => {
    const issued = Buffer.from(challenges.issue(300));
    for (let index = 0; index < issued.length; index += 1) {
      const changed = Buffer.from(issued);
      changed[index]! ^= 0x01;
      expect(challenges.secondsLeft(changed.toString('base64url'))).toBeNull();
    }
    const other = new SignInChallenges(createSecretKey(randomBytes(32)), () => now);
    expect(other.secondsLeft(issued.toString('base64url'))).toBeNull();
    for (const wrong of ['', 'x', issued.subarray(1).toString('base64url'), Buffer.concat([issued, Buffer.from([0])]).toString('base64url'), `${issued.toString('base64url')}=`, issued.toString('base64')]) {
      if (wrong === issued.toString('base64url')) continue; // base64 and base64url can coincide
      expect(challenges.secondsLeft(wrong)).toBeNull();
    }
  });
});
