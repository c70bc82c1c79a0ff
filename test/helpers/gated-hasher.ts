// The real argon2 hasher whose next verify can be held at a gate: lets a test land a write while a
// login is between its password check and its new session (a race that timing alone rarely hits).
import { Argon2PasswordHasher, type PasswordHasher } from '../../src/auth/password';
import { loadConfig } from '../../src/config/config';

export class GatedHasher implements PasswordHasher {
  private readonly inner = new Argon2PasswordHasher(loadConfig({}).argon2);
  private gate: { reached: () => void; release: Promise<void> } | undefined;

  /** Holds the next verify until `release` is called; resolves `reached` once a verify is waiting. */
  hold(): { reached: Promise<void>; release: () => void } {
    let release!: () => void;
    let reached!: () => void;
    const reachedPromise = new Promise<void>((resolve) => (reached = resolve));
    this.gate = { reached, release: new Promise<void>((resolve) => (release = resolve)) };
    return { reached: reachedPromise, release };
  }

  hash(password: string): Promise<string> {
    return this.inner.hash(password);
  }

  async verify(hash: string, password: string): Promise<boolean> {
    const result = await this.inner.verify(hash, password);
    const gate = this.gate;
    if (gate) {
      this.gate = undefined;
      gate.reached();
      await gate.release;
    }
    return result;
  }

  needsRehash(hash: string): boolean {
    return this.inner.needsRehash(hash);
  }

  verifyDummy(password: string): Promise<void> {
    return this.inner.verifyDummy(password);
  }
}
