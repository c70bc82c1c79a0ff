// The hashing process: argon2 runs here, forked by HashingProcess, at a lower OS priority than the
// service, so that a login storm only takes the CPU time that requests leave idle. Self-contained
// (no project imports): under Node's type stripping it runs from its .ts source as well as from dist.
import { readdirSync, readFileSync } from 'node:fs';
import { access } from 'node:fs/promises';
import os from 'node:os';
import argon2 from 'argon2';

export type HashRequest =
  | { id: number; op: 'hash'; password: string; options: argon2.Options & { type: typeof argon2.argon2id } }
  | { id: number; op: 'verify'; digest: string; password: string };
/** `malformed`: argon2 refused its input (a stored hash that is not a PHC string it reads), not a failure to hash. */
export type HashReply = { id: number; value: string | boolean } | { id: number; error: string; malformed: boolean };

/**
 * Lowers the threads that hash to `nice`: libuv's pool, where argon2 works. Linux gives each thread
 * its own nice value (setpriority(PRIO_PROCESS, tid) sets one thread's), so this process's main
 * thread, which only passes messages, keeps its priority and answers without delay. Where threads
 * cannot be told apart (no /proc, or unnamed pool threads) the whole process is lowered.
 */
async function lowerHashingPriority(nice: number): Promise<void> {
  await access('.').catch(() => undefined); // starts libuv's pool: its threads exist from here on
  let threads: string[] = [];
  try {
    threads = readdirSync('/proc/self/task');
  } catch {
    // no /proc: the process's priority is all there is
  }
  const pool = threads.filter((thread) => threadName(thread) === 'libuv-worker');
  const lowered = pool.length > 0 ? pool : ['0', ...threads];
  for (const thread of lowered) {
    try {
      // Only ever lowered: raising one (a service already run at a lower priority) needs CAP_SYS_NICE.
      os.setPriority(Number(thread), Math.max(nice, os.getPriority(Number(thread))));
    } catch {
      // a thread gone meanwhile, or not allowed: it hashes at the priority it has, which never stops hashing
    }
  }
}

function threadName(thread: string): string {
  try {
    return readFileSync(`/proc/self/task/${thread}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

async function answer(request: HashRequest): Promise<HashReply> {
  try {
    const value = request.op === 'hash' ? await argon2.hash(request.password, request.options) : await argon2.verify(request.digest, request.password);
    return { id: request.id, value };
  } catch (error) {
    // argon2 throws TypeError for input it cannot read; anything else (an allocation failure, say) is the hasher's.
    return { id: request.id, error: error instanceof Error ? error.message : String(error), malformed: error instanceof TypeError };
  }
}

const ready = lowerHashingPriority(Number(process.argv[2] ?? 0));
process.on('message', (request: HashRequest) => {
  void ready.then(() => answer(request)).then((reply) => {
    if (process.connected) process.send?.(reply, () => {}); // a service gone meanwhile is told nothing
  });
});
process.on('disconnect', () => process.exit(0)); // the service closed it, or died
