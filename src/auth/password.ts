// Password hashing with argon2id (OWASP minimum m=19 MiB, t=2, p=1; parameters from config), in a
// child process at a lower OS priority (ARGON2_NICE), so that reads keep the CPU during a login storm.
import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import argon2 from 'argon2';
import pLimit from 'p-limit';
import type { Config } from '../config/config';
import { HashingProcess, MalformedHashError } from './hashing/hashing-process';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the hash was made with other parameters than today's (upgrade it at next login). */
  needsRehash(hash: string): boolean;
  /** Spends the time of one verify on a throwaway hash, so unknown emails cost as much as wrong passwords. */
  verifyDummy(password: string): Promise<void>;
  /** Stops the hashing process, if there is one; hashes asked for afterwards fail. */
  close?(): Promise<void>;
}

export class Argon2PasswordHasher implements PasswordHasher {
  private readonly options: argon2.Options & { type: typeof argon2.argon2id };
  private dummyHash: Promise<string> | undefined;
  /** Capped below the core count: even at its low priority, hashing leaves cores to every other request. */
  private readonly limit: pLimit.Limit;
  private readonly hashing: HashingProcess;

  constructor({ concurrency, nice, ...parameters }: Config['argon2']) {
    this.options = { type: argon2.argon2id, ...parameters };
    this.limit = pLimit(concurrency);
    this.hashing = new HashingProcess({ nice, threads: concurrency });
  }

  hash(password: string): Promise<string> {
    return traced('password.hash', () => this.limit(async () => (await this.hashing.run({ op: 'hash', password, options: this.options })) as string));
  }

  /** False for a wrong password or a malformed stored hash; SERVICE_UNAVAILABLE when hashing failed (a dead or hung process, an argon2 error). */
  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return (await traced('password.verify', () => this.limit(() => this.hashing.run({ op: 'verify', digest: hash, password })))) === true;
    } catch (error) {
      if (error instanceof MalformedHashError) return false; // a malformed stored hash never authenticates
      throw error;
    }
  }

  /** Hashes and verifies running now, and those waiting for a turn. */
  get load(): { running: number; waiting: number } {
    return { running: this.limit.activeCount, waiting: this.limit.pendingCount };
  }

  needsRehash(hash: string): boolean {
    try {
      return argon2.needsRehash(hash, this.options);
    } catch {
      return true;
    }
  }

  async verifyDummy(password: string): Promise<void> {
    const dummyHash = (this.dummyHash ??= this.hash(randomBytes(32).toString('base64url')));
    dummyHash.catch(() => {
      if (this.dummyHash === dummyHash) this.dummyHash = undefined; // made again next time, not failed forever
    });
    await this.verify(await dummyHash, password);
  }

  /** The hashing process's id while it runs (tests kill it to prove the service recovers). */
  get processId(): number | undefined {
    return this.hashing.pid;
  }

  close(): Promise<void> {
    return this.hashing.close();
  }
}

const tracer = trace.getTracer('portcullis');

/** A span around one hash or verify (waiting for a turn included), when tracing is on; nothing about the password. */
function traced<T>(name: string, work: () => Promise<T>): Promise<T> {
  return tracer.startActiveSpan(name, async (span) => {
    try {
      return await work();
    } finally {
      span.end();
    }
  });
}
