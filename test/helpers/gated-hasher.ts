// The real argon2 hasher whose next verify can be held at a gate: lets a test land a write while a
// login is between its password check and its new session (a race that timing alone rarely hits).
import { Argon2PasswordHasher, type PasswordHasher } from '../../src/auth/password';
import { loadConfig } from '../../src/config/config';

export class GatedHasher implements PasswordHasher {
  private readonly inner = new Argon2PasswordHasher(loadConfig({}).argon2);
  private gate: { reached: () => void; release: Promise<void>; on: 'verify' | 'hash' } | undefined;

  /** Holds the next verify (or hash) until `release` is called; resolves `reached` once one is waiting. */
  hold(on: 'verify' | 'hash' = 'verify'): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.gate = { reached, release: new Promise<void>((resolve) => (release = resolve)), on };
    return { reached: reachedPromise, release };
  }

  async hash(password: string): Promise<string> {
    const result = await this.inner.hash(password);
    await this.pass('hash');
    return result;
  }

  async verify(hash: string, password: string): Promise<boolean> {
    const result = await this.inner.verify(hash, password);
    await this.pass('verify');
    return result;
  }

  private async pass(on: 'verify' | 'hash'): Promise<void> {
    const gate = this.gate;
    if (gate?.on !== on) return;
    this.gate = undefined;
    gate.reached();
    await gate.release;
  }

  needsRehash(hash: string): boolean {
    return this.inner.needsRehash(hash);
  }

  verifyDummy(password: string): Promise<void> {
    return this.inner.verifyDummy(password);
  }
}
