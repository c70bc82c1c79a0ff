// How the tabs of one browser profile take turns: the Web Locks API gives one refresh at a time per
// profile (a refresh token must never be spent twice), and a BroadcastChannel tells every tab the
// new state (a refreshed access token, or a sign-out).

export type TabMessage =
  | { type: 'refreshed'; generation: number; accessToken: string | undefined; expiresAt: number }
  | { type: 'signed-out'; generation: number };

/** The newest state some tab of the profile announced: its generation, and its expiry (0 once signed out). */
export interface LatestState {
  generation: number;
  expiresAt: number;
}

export interface TabCoordinator {
  /** Runs `task` while holding the profile-wide refresh lock (or at once, where there is no lock). */
  withRefreshLock<T>(task: () => Promise<T>): Promise<T>;
  /**
   * Read inside the lock, before spending the refresh token: a broadcast may still be on its way, but
   * this answer is not (it comes from the lock manager, which every tab of the profile shares).
   */
  latest(): Promise<LatestState | undefined>;
  /** Tells the other tabs; resolves once `latest()` in any tab would see it. */
  publish(message: TabMessage): Promise<void>;
  subscribe(listener: (message: TabMessage) => void): () => void;
  close(): void;
}

export interface BrowserTabOptions {
  /** Lock and channel name; tabs sharing it share one session. */
  name: string;
  /**
   * Take the Web Lock around refreshes (default true). Turning it off brings back the race this
   * package exists to prevent: it is there only to reproduce that race in a test.
   */
  lock?: boolean;
}

export function browserTabCoordinator(options: BrowserTabOptions): TabCoordinator {
  const locks = options.lock === false ? undefined : globalThis.navigator?.locks;
  const channel = typeof BroadcastChannel === 'function' ? new BroadcastChannel(options.name) : undefined;
  const listeners = new Set<(message: TabMessage) => void>();
  channel?.addEventListener('message', (event: MessageEvent<TabMessage>) => {
    for (const listener of listeners) listener(event.data);
  });
  // Each tab holds one shared lock named after the state it last announced, so any tab can read the
  // newest announced state from navigator.locks.query() (consistent across tabs, unlike a message).
  const marker = `${options.name}:state:`;
  let releaseMarker: (() => void) | undefined;
  let holds = 0;
  const hold = (state: LatestState): Promise<void> =>
    new Promise<void>((granted) => {
      const ticket = ++holds;
      releaseMarker?.();
      releaseMarker = undefined;
      void locks!.request(`${marker}${state.generation}:${state.expiresAt}`, { mode: 'shared' }, () => {
        granted();
        // Superseded while it waited for the grant: let it go at once, so only the newest one stays held.
        if (ticket !== holds) return Promise.resolve();
        return new Promise<void>((release) => (releaseMarker = release));
      });
    });
  return {
    async latest() {
      if (!locks) return undefined;
      const { held = [] } = await locks.query();
      let newest: LatestState | undefined;
      for (const lock of held) {
        const match = lock.name?.startsWith(marker) ? /^(\d+):(\d+)$/.exec(lock.name.slice(marker.length)) : null;
        if (!match) continue;
        const state = { generation: Number(match[1]), expiresAt: Number(match[2]) };
        if (!newest || state.generation > newest.generation) newest = state;
      }
      return newest;
    },
    async publish(message) {
      channel?.postMessage(message);
      if (locks) await hold({ generation: message.generation, expiresAt: message.type === 'refreshed' ? message.expiresAt : 0 });
    },
    withRefreshLock: <T>(task: () => Promise<T>): Promise<T> =>
      locks ? (locks.request(`${options.name}:refresh`, { mode: 'exclusive' }, task) as Promise<T>) : task(),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    close() {
      releaseMarker?.();
      channel?.close();
    },
  };
}

/** For one tab alone (no lock, no channel): Node, tests, or a browser without these APIs. */
export function singleTabCoordinator(): TabCoordinator {
  return {
    withRefreshLock: (task) => task(),
    latest: async () => undefined,
    publish: async () => undefined,
    subscribe: () => () => undefined,
    close: () => undefined,
  };
}
