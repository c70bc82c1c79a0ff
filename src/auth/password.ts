// Password hashing with argon2id (OWASP minimum m=19 MiB, t=2, p=1; parameters from config).
import { randomBytes } from 'node:crypto';
import { trace } from '@opentelemetry/api';
import argon2 from 'argon2';
import pLimit from 'p-limit';
import type { Config } from '../config/config';

export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(hash: string, password: string): Promise<boolean>;
  /** True when the hash was made with other parameters than today's (upgrade it at next login). */
  needsRehash(hash: string): boolean;
  /** Spends the time of one verify on a throwaway hash, so unknown emails cost as much as wrong passwords. */
  verifyDummy(password: string): Promise<void>;
}

export class Argon2PasswordHasher implements PasswordHasher {
  private readonly options: argon2.Options & { type: typeof argon2.argon2id };
  private dummyHash: Promise<string> | undefined;
  /** argon2 runs on the libuv pool; capped below the core count, logins leave a core to every other request. */
  private readonly limit: pLimit.Limit;

  constructor({ concurrency, ...parameters }: Config['argon2']) {
    this.options = { type: argon2.argon2id, ...parameters };
    this.limit = pLimit(concurrency);
  }

  hash(password: string): Promise<string> {
    return traced('password.hash', () => this.limit(() => argon2.hash(password, this.options)));
  }

  async verify(hash: string, password: string): Promise<boolean> {
    try {
      return await traced('password.verify', () => this.limit(() => argon2.verify(hash, password)));
    } catch {
      return false; // a malformed stored hash never authenticates
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
    this.dummyHash ??= this.hash(randomBytes(32).toString('base64url'));
    await this.verify(await this.dummyHash, password);
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
