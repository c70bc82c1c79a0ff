// Test doubles for what a browser gives the session: the tabs of one profile (a lock and a channel
// shared between AuthSessions in one process) and the server's refresh rotation behind a cookie jar.
import type { RefreshOutcome, RefreshRequest } from '../src/refresh-request.js';
import type { LatestState, TabCoordinator, TabMessage } from '../src/tab-coordinator.js';

/** One browser profile: every coordinator it hands out shares one lock (unless off) and one channel. */
export function browserProfile(options: { lock?: boolean } = {}) {
  let queue: Promise<unknown> = Promise.resolve();
  const tabs = new Set<(message: TabMessage) => void>();
  const markers = new Map<object, LatestState>(); // what each tab last announced, as the lock manager holds it
  return {
    tab(): TabCoordinator {
      const listeners = new Set<(message: TabMessage) => void>();
      const deliver = (message: TabMessage) => listeners.forEach((listener) => listener(message));
      tabs.add(deliver);
      const self = {};
      return {
        async latest() {
          if (options.lock === false) return undefined;
          return [...markers.values()].sort((x, y) => y.generation - x.generation)[0];
        },
        withRefreshLock<T>(task: () => Promise<T>): Promise<T> {
          if (options.lock === false) return task();
          const run = queue.then(task, task);
          queue = run.catch(() => undefined);
          return run;
        },
        // Like BroadcastChannel: every other tab, later (a task, not in the sender's call stack).
        async publish(message) {
          markers.set(self, { generation: message.generation, expiresAt: message.type === 'refreshed' ? message.expiresAt : 0 });
          for (const other of tabs) if (other !== deliver) setTimeout(() => other(structuredClone(message)), 0);
        },
        subscribe(listener) {
          listeners.add(listener);
          return () => listeners.delete(listener);
        },
        close() {
          tabs.delete(deliver);
          markers.delete(self);
        },
      };
    },
  };
}

/**
 * The server's side of rotation as the browser sees it: one refresh cookie in the jar, read when a
 * request leaves and replaced when its answer lands. Presenting a rotated token revokes the session
 * (REFRESH_REUSE_GRACE=0). Each answer takes `latencyMs`.
 */
export class RotatingServer {
  jar = 'rt-0';
  private current = 'rt-0';
  private counter = 0;
  revoked = false;
  calls = 0;
  unavailable = false;

  constructor(private readonly latencyMs = 50) {}

  request: RefreshRequest = async (): Promise<RefreshOutcome> => {
    this.calls += 1;
    const presented = this.jar;
    await new Promise((resolve) => setTimeout(resolve, this.latencyMs));
    if (this.unavailable) return { kind: 'unavailable', reason: 'HTTP 503' };
    if (this.revoked) return { kind: 'rejected', code: 'UNAUTHENTICATED' };
    if (presented !== this.current) {
      this.revoked = true; // reuse = theft: the whole session goes
      return { kind: 'rejected', code: 'UNAUTHENTICATED' };
    }
    this.counter += 1;
    this.current = `rt-${this.counter}`;
    this.jar = this.current;
    return { kind: 'refreshed', accessToken: `at-${this.counter}`, expiresIn: 60 };
  };
}
