// The argon2 concurrency cap (ARGON2_CONCURRENCY): a login storm hashes a few at a time and the rest
// wait, so that hashing cannot take every core from the other requests.
import { Argon2PasswordHasher } from '../../src/auth/password';
import { loadConfig } from '../../src/config/config';

const nextTick = () => new Promise((resolve) => setImmediate(resolve));

describe('Argon2PasswordHasher', () => {
  it('runs at most ARGON2_CONCURRENCY verifies at once; the others wait their turn and all answer correctly', async () => {
    const hasher = new Argon2PasswordHasher({ ...loadConfig({}).argon2, concurrency: 1 });
    const hash = await hasher.hash('correct horse battery staple');

    const verdicts = Promise.all([
      hasher.verify(hash, 'correct horse battery staple'),
      hasher.verify(hash, 'wrong password'),
      hasher.verify(hash, 'correct horse battery staple'),
    ]);
    await nextTick();
    expect(hasher.load).toEqual({ running: 1, waiting: 2 });

    expect(await verdicts).toEqual([true, false, true]);
    expect(hasher.load).toEqual({ running: 0, waiting: 0 });
  });

  it('lets as many run as configured', async () => {
    const hasher = new Argon2PasswordHasher({ ...loadConfig({}).argon2, concurrency: 2 });
    const hashes = Promise.all([hasher.hash('one password'), hasher.hash('two password'), hasher.hash('three password')]);
    await nextTick();
    expect(hasher.load).toEqual({ running: 2, waiting: 1 });
    for (const hash of await hashes) expect(hash).toMatch(/^\$argon2id\$/);
  });
});
