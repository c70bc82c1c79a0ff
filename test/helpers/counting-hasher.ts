// The real argon2 hasher, counting its calls: lets a test prove that a request did no hashing.
import { Argon2PasswordHasher, type PasswordHasher } from '../../src/auth/password';
import { loadConfig } from '../../src/config/config';

export class CountingHasher implements PasswordHasher {
  readonly calls = { hash: 0, verify: 0, verifyDummy: 0 };
  private readonly inner = new Argon2PasswordHasher(loadConfig({}).argon2);

  get total(): number {
    return this.calls.hash + this.calls.verify + this.calls.verifyDummy;
  }

  hash(password: string): Promise<string> {
    this.calls.hash += 1;
    return this.inner.hash(password);
  }

  verify(hash: string, password: string): Promise<boolean> {
    this.calls.verify += 1;
    return this.inner.verify(hash, password);
  }

  needsRehash(hash: string): boolean {
    return this.inner.needsRehash(hash);
  }

  verifyDummy(password: string): Promise<void> {
    this.calls.verifyDummy += 1;
    return this.inner.verifyDummy(password);
  }
}
