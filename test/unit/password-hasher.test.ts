// The argon2 concurrency cap (ARGON2_CONCURRENCY): a login storm hashes a few at a time and the rest
// wait, so that hashing cannot take every core from the other requests.
import { readdirSync, readFileSync } from 'node:fs';
import argon2 from 'argon2';
import { HashingProcess } from '../../src/auth/hashing/hashing-process';
import { Argon2PasswordHasher } from '../../src/auth/password';
import { loadConfig } from '../../src/config/config';
import { until } from '../helpers/waiting';

const nextTick = () => new Promise((resolve) => setImmediate(resolve));
const hashers: Argon2PasswordHasher[] = [];
const hasher = (settings: Partial<ReturnType<typeof loadConfig>['argon2']> = {}) => {
  const created = new Argon2PasswordHasher({ ...loadConfig({}).argon2, ...settings });
  hashers.push(created);
  return created;
};
afterAll(() => Promise.all(hashers.map((created) => created.close())));

describe('Argon2PasswordHasher', () => {
  it('runs at most ARGON2_CONCURRENCY verifies at once; the others wait their turn and all answer correctly', async () => {
    const subject = hasher({ concurrency: 1 });
    const hash = await subject.hash('correct horse battery staple');

    const verdicts = Promise.all([
      subject.verify(hash, 'correct horse battery staple'),
      subject.verify(hash, 'wrong password'),
      subject.verify(hash, 'correct horse battery staple'),
    ]);
    await nextTick();
    expect(subject.load).toEqual({ running: 1, waiting: 2 });

    expect(await verdicts).toEqual([true, false, true]);
    expect(subject.load).toEqual({ running: 0, waiting: 0 });
  });

  it('lets as many run as configured', async () => {
    const subject = hasher({ concurrency: 2 });
    const hashes = Promise.all([subject.hash('one password'), subject.hash('two password'), subject.hash('three password')]);
    await nextTick();
    expect(subject.load).toEqual({ running: 2, waiting: 1 });
    for (const hash of await hashes) expect(hash).toMatch(/^\$argon2id\$/);
  });
});

// Hashing runs in a child process at ARGON2_NICE: reads win the CPU over hashes during a login storm.
describe('the hashing process', () => {
  it("runs libuv's pool of the hashing process, where argon2 works, at ARGON2_NICE; its main thread and the service keep their priority", async () => {
    const subject = hasher({ nice: 7, concurrency: 1 });
    expect(await subject.verify(await subject.hash('a password'), 'a password')).toBe(true);
    const threads = threadsOf(subject.processId!);
    const pool = threads.filter((thread) => thread.name === 'libuv-worker');
    expect(pool).toHaveLength(1); // one thread per concurrent hash: ARGON2_CONCURRENCY
    expect(pool.map((thread) => thread.nice)).toEqual([7]);
    expect(threads.find((thread) => thread.id === subject.processId)?.nice).toBe(0);
    expect(new Set(threadsOf(process.pid).map((thread) => thread.nice))).toEqual(new Set([0]));
  });

  it('fails a verify in flight with SERVICE_UNAVAILABLE when the process dies, then recovers on its own', async () => {
    const subject = hasher();
    const hash = await subject.hash('a password');
    const first = subject.processId!;
    const inFlight = subject.verify(hash, 'a password');
    process.kill(first, 'SIGKILL');
    await expect(inFlight).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });

    expect(await subject.verify(hash, 'a password')).toBe(true);
    expect(await subject.verify(hash, 'another password')).toBe(false);
    expect(subject.processId).not.toBe(first);
  });

  it('kills a hashing process that stops answering: the request fails with SERVICE_UNAVAILABLE at its deadline, and a new process serves the next', async () => {
    // Long enough for a start and a hash on a loaded machine; the hung request waits this long once.
    const hashing = new HashingProcess({ nice: 0, threads: 1, deadlineMs: 3_000 });
    try {
      const digest = (await hashing.run({ op: 'hash', password: 'a password', options: { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 } })) as string;
      const hung = hashing.pid!;
      process.kill(hung, 'SIGSTOP'); // alive, never answering
      await expect(hashing.run({ op: 'verify', digest, password: 'a password' })).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
      await until(async () => hashing.pid !== hung, 5_000);
      expect(() => process.kill(hung, 0)).toThrow(); // killed, not left stopped

      expect(await hashing.run({ op: 'verify', digest, password: 'a password' })).toBe(true);
      expect(hashing.pid).not.toBe(hung);
    } finally {
      await hashing.close();
    }
  }, 30_000);

  it('makes the dummy hash again when the process died while making it', async () => {
    const subject = hasher();
    await subject.hash('starts the process');
    const dummy = subject.verifyDummy('anything');
    process.kill(subject.processId!, 'SIGKILL');
    await expect(dummy).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
    await expect(subject.verifyDummy('anything')).resolves.toBeUndefined();
  });

  it('makes the same PHC strings as argon2 in the service process: each verifies the other', async () => {
    const subject = hasher();
    const fromProcess = await subject.hash('a password');
    expect(fromProcess).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await argon2.verify(fromProcess, 'a password')).toBe(true);
    const inService = await argon2.hash('a password', { type: argon2.argon2id, memoryCost: 19_456, timeCost: 2, parallelism: 1 });
    expect(await subject.verify(inService, 'a password')).toBe(true);
    expect(subject.needsRehash(fromProcess)).toBe(false);
  });

  it('answers false for a malformed stored hash, without failing the process', async () => {
    const subject = hasher();
    expect(await subject.verify('$argon2id$not-a-hash', 'a password')).toBe(false);
    expect(await subject.verify(await subject.hash('a password'), 'a password')).toBe(true);
  });

  it('refuses work after close, and its process is gone', async () => {
    const subject = hasher();
    await subject.hash('starts the process');
    const pid = subject.processId!;
    await subject.close();
    expect(() => process.kill(pid, 0)).toThrow();
    await expect(subject.hash('too late')).rejects.toMatchObject({ extensions: { code: 'SERVICE_UNAVAILABLE' } });
  });
});

/** Each thread of a process with its name and nice value (Linux: /proc/<pid>/task/<tid>/stat, field 19). */
function threadsOf(pid: number): Array<{ id: number; name: string; nice: number }> {
  return readdirSync(`/proc/${pid}/task`).map((thread) => {
    const stat = readFileSync(`/proc/${pid}/task/${thread}/stat`, 'utf8');
    const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
    return { id: Number(thread), name, nice: Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[16]) };
  });
}
