// The service's side of the hashing process (hashing-child.ts): sends it hashes and verifies and
// matches the answers. A child that dies, or hangs past a deadline (then it is killed), fails the work
// it held with SERVICE_UNAVAILABLE (fail closed: no login succeeds on a verify that did not run) and
// is started again for the next one.
import { fork, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { ServiceUnavailableError } from '../../errors';
import type { HashReply, HashRequest } from './hashing-child';

type WithoutId<T> = T extends unknown ? Omit<T, 'id'> : never;
type Work = WithoutId<HashRequest>;
type Waiting = { resolve: (value: string | boolean) => void; reject: (error: Error) => void; deadline: NodeJS.Timeout };

/** Its .ts source under jest (Node strips the types), its .js in dist. */
const ENTRY = path.join(__dirname, `hashing-child${path.extname(__filename)}`);
const RESTART_DELAYS_MS = [0, 100, 500, 2_000, 5_000];
/** A hash takes tens of milliseconds: one still unanswered after this means a hung child, which is killed. */
const DEADLINE_MS = 10_000;
/** How long close() waits for the child to leave before it is killed. */
const CLOSE_GRACE_MS = 5_000;

/** argon2 refused a request's input (a malformed stored hash): the child itself is fine. */
export class MalformedHashError extends Error {}

export class HashingProcess {
  private child: ChildProcess | undefined;
  private readonly waiting = new Map<number, Waiting>();
  private lastId = 0;
  /** Deaths since the last answer: each one waits longer before the next start, so a child that cannot start is not forked in a loop. */
  private deaths = 0;
  private startableAt = 0;
  private closed = false;

  /**
   * `nice`: the child's OS priority (0–19, higher is lower); `threads`: its libuv pool, one per concurrent
   * hash; `deadlineMs`: how long one request may go unanswered before the child counts as hung.
   */
  constructor(private readonly settings: { nice: number; threads: number; deadlineMs?: number }) {}

  /** The child's process id, when one runs (tests kill it). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  run(work: Work): Promise<string | boolean> {
    const child = this.closed ? undefined : (this.child ?? this.start());
    if (!child) return Promise.reject(new ServiceUnavailableError('password hashing'));
    const id = ++this.lastId;
    return new Promise((resolve, reject) => {
      // Fail closed and start afresh: the kill ends every other request in it too (see gone()).
      const deadline = setTimeout(() => {
        this.settle(id, new ServiceUnavailableError('password hashing', new Error('the hashing process did not answer in time')));
        child.kill('SIGKILL');
      }, this.settings.deadlineMs ?? DEADLINE_MS);
      this.waiting.set(id, { resolve, reject, deadline });
      this.hold(child, true);
      child.send({ ...work, id } satisfies HashRequest, (error) => {
        if (!error) return;
        // Its channel is closed: the child is dead or dying. The next request must not be sent to it too.
        this.settle(id, new ServiceUnavailableError('password hashing', error));
        child.kill('SIGKILL');
        this.lost(child);
      });
    });
  }

  /** Stops the child (it exits when its channel closes); work still in it fails. */
  async close(): Promise<void> {
    this.closed = true;
    const child = this.child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    if (child.connected) child.disconnect();
    const killer = setTimeout(() => child.kill('SIGKILL'), CLOSE_GRACE_MS); // a hung child is not waited for
    await exited;
    clearTimeout(killer);
  }

  private start(): ChildProcess | undefined {
    if (Date.now() < this.startableAt) return undefined;
    const child = fork(ENTRY, [String(this.settings.nice)], {
      // Only what it needs: no secrets of the service, none of its --require hooks or NODE_OPTIONS.
      env: { UV_THREADPOOL_SIZE: String(this.settings.threads), ...(process.env.PATH ? { PATH: process.env.PATH } : {}) },
      execArgv: ['--disable-warning=ExperimentalWarning', '--disable-warning=MODULE_TYPELESS_PACKAGE_JSON'], // quiet when run from its .ts source
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    child.on('message', (reply: HashReply) => {
      this.deaths = 0;
      const error = 'error' in reply ? (reply.malformed ? new MalformedHashError(reply.error) : new ServiceUnavailableError('password hashing', new Error(reply.error))) : undefined;
      this.settle(reply.id, error, 'value' in reply ? reply.value : undefined);
    });
    child.on('exit', () => this.lost(child));
    child.on('error', () => (child.pid === undefined ? this.lost(child) : child.kill())); // a failed spawn has no 'exit'
    this.child = child;
    this.hold(child, false);
    return child;
  }

  /** The child is gone (or going): its work fails, and the next request starts another, after a delay if it keeps dying. */
  private lost(child: ChildProcess): void {
    if (this.child !== child) return;
    this.child = undefined;
    this.startableAt = Date.now() + (RESTART_DELAYS_MS[Math.min(this.deaths, RESTART_DELAYS_MS.length - 1)] ?? 0);
    this.deaths += 1;
    for (const id of [...this.waiting.keys()]) this.settle(id, new ServiceUnavailableError('password hashing'));
  }

  private settle(id: number, error: Error | undefined, value?: string | boolean): void {
    const waiting = this.waiting.get(id);
    if (!waiting) return;
    this.waiting.delete(id);
    clearTimeout(waiting.deadline);
    if (error) waiting.reject(error);
    else waiting.resolve(value!);
    if (this.waiting.size === 0 && this.child) this.hold(this.child, false);
  }

  /** An idle child never keeps the service's process alive; one with work in it does. */
  private hold(child: ChildProcess, busy: boolean): void {
    if (busy) {
      child.ref();
      child.channel?.ref();
    } else {
      child.unref();
      child.channel?.unref();
    }
  }
}
