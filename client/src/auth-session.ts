// The session as one tab sees it, and the rules for refreshing it: single-flight within the tab,
// one refresh at a time across tabs (after taking the lock, a tab first checks whether another tab
// already refreshed), refresh ahead of expiry, and one `onSignedOut` per sign-out, never a loop.
import type { RefreshOutcome, RefreshRequest } from './refresh-request.js';
import type { TabCoordinator, TabMessage } from './tab-coordinator.js';

export type SignedOutReason = 'logout' | 'refresh-rejected' | 'other-tab';
export type SessionStatus = 'unknown' | 'signed-in' | 'signed-out';

export interface AuthSessionOptions {
  refresh: RefreshRequest;
  tabs: TabCoordinator;
  /** Called once each time a signed-in session ends: logout (here or in another tab) or a refused refresh. */
  onSignedOut?: (reason: SignedOutReason) => void;
  /** Refresh this long before the access token expires; default: a fifth of its lifetime, at most 60 s. */
  refreshAhead?: ((lifetimeMs: number) => number) | false;
  /** Waits before retrying a refresh the server could not answer (network, 503, 429). */
  retryDelaysMs?: readonly number[];
  now?: () => number;
}

interface State {
  status: SessionStatus;
  accessToken: string | undefined;
  expiresAt: number;
  /** Grows with every change; shared across tabs, so a tab can tell that its state is stale. */
  generation: number;
}

const defaultAhead = (lifetimeMs: number) => Math.min(60_000, lifetimeMs / 5);
/** How long a tab waits for another tab's broadcast once the lock manager says that tab refreshed. */
const BROADCAST_WAIT_MS = 1_000;
const DEFAULT_RETRY_DELAYS_MS = [1_000, 2_000, 5_000, 10_000, 30_000];

export class AuthSession {
  private state: State = { status: 'unknown', accessToken: undefined, expiresAt: 0, generation: 0 };
  private inFlight: Promise<boolean> | undefined;
  private timer: ReturnType<typeof setTimeout> | undefined;
  private failures = 0;
  private readonly listeners = new Set<(status: SessionStatus) => void>();
  private readonly unsubscribe: () => void;
  private readonly now: () => number;

  constructor(private readonly options: AuthSessionOptions) {
    this.now = options.now ?? (() => Date.now());
    this.unsubscribe = options.tabs.subscribe((message) => this.receive(message));
  }

  get status(): SessionStatus {
    return this.state.status;
  }
  get accessToken(): string | undefined {
    return this.state.accessToken;
  }
  get generation(): number {
    return this.state.generation;
  }
  get expiresAt(): number {
    return this.state.expiresAt;
  }

  onStatusChange(listener: (status: SessionStatus) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** After login or register: adopt the new access token and tell the other tabs. */
  signIn(tokens: { accessToken: string; expiresIn: number }): void {
    void this.adopt(this.nextGeneration(), tokens.accessToken, this.now() + tokens.expiresIn * 1000, true);
  }

  /** After logout here: forget the token and sign out the other tabs. */
  signOut(reason: SignedOutReason = 'logout'): void {
    const generation = this.nextGeneration();
    void this.options.tabs.publish({ type: 'signed-out', generation });
    this.end(generation, reason);
  }

  /** On start: ask the server whether the refresh cookie still names a session (no onSignedOut if not). */
  restore(): Promise<boolean> {
    return this.refresh(this.state.generation);
  }

  /** Whether the current access token is past (or at) its expiry, so sending it would be refused. */
  isExpired(): boolean {
    return this.state.status === 'signed-in' && this.now() >= this.state.expiresAt;
  }

  /**
   * Refreshes unless the state already moved past `staleGeneration`. Concurrent callers share one
   * refresh; resolves true when a usable state is there afterwards. Once signed out it resolves false
   * without asking the server, so a refused refresh can never loop.
   */
  refresh(staleGeneration: number): Promise<boolean> {
    if (this.state.generation > staleGeneration) return Promise.resolve(this.state.status === 'signed-in');
    if (this.state.status === 'signed-out') return Promise.resolve(false);
    const requestedAt = this.now();
    this.inFlight ??= this.options.tabs
      .withRefreshLock(async () => {
        if (await this.refreshedElsewhere(staleGeneration, requestedAt)) return this.state.status === 'signed-in';
        if (this.state.status === 'signed-out') return false;
        return this.apply(await this.options.refresh());
      })
      .finally(() => {
        this.inFlight = undefined;
      });
    return this.inFlight;
  }

  close(): void {
    clearTimeout(this.timer);
    this.unsubscribe();
  }

  /**
   * Inside the lock: did another tab refresh (or sign out) while this one waited? Its broadcast may
   * already have moved this tab on; else the lock manager knows, and the broadcast with the token is
   * on its way (wait for it briefly; if it never comes, refreshing again is still safe, since the
   * cookie jar already holds the other tab's new refresh token). Generations are clock-based, so a
   * state announced before this refresh was asked for (an old tab's) is not waited for.
   */
  private async refreshedElsewhere(staleGeneration: number, requestedAt: number): Promise<boolean> {
    if (this.state.generation > staleGeneration) return true;
    const latest = await this.options.tabs.latest();
    if (!latest || latest.generation < requestedAt || latest.generation <= staleGeneration || latest.generation <= this.state.generation) return false;
    if (latest.expiresAt === 0) {
      this.end(latest.generation, 'other-tab');
      return true;
    }
    const deadline = this.now() + BROADCAST_WAIT_MS;
    while (this.state.generation < latest.generation && this.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    return this.state.generation >= latest.generation;
  }

  private async apply(outcome: RefreshOutcome): Promise<boolean> {
    switch (outcome.kind) {
      case 'refreshed':
        this.failures = 0;
        await this.adopt(this.nextGeneration(), outcome.accessToken, this.now() + outcome.expiresIn * 1000, true);
        return true;
      case 'rejected': {
        const generation = this.nextGeneration();
        this.end(generation, 'refresh-rejected');
        await this.options.tabs.publish({ type: 'signed-out', generation });
        return false;
      }
      case 'unavailable':
        if (this.state.status === 'signed-in') this.schedule(this.retryDelay());
        return false;
    }
  }

  private receive(message: TabMessage): void {
    if (message.generation <= this.state.generation) return;
    if (message.type === 'refreshed') void this.adopt(message.generation, message.accessToken, message.expiresAt, false);
    else this.end(message.generation, 'other-tab');
  }

  private async adopt(generation: number, accessToken: string | undefined, expiresAt: number, publish: boolean): Promise<void> {
    const changed = this.state.status !== 'signed-in';
    this.state = { status: 'signed-in', accessToken, expiresAt, generation };
    this.scheduleAhead();
    if (changed) this.emit();
    if (publish) await this.options.tabs.publish({ type: 'refreshed', generation, accessToken, expiresAt });
  }

  private end(generation: number, reason: SignedOutReason): void {
    const wasSignedIn = this.state.status === 'signed-in';
    const changed = this.state.status !== 'signed-out';
    this.state = { status: 'signed-out', accessToken: undefined, expiresAt: 0, generation };
    clearTimeout(this.timer);
    if (changed) this.emit();
    if (wasSignedIn) this.options.onSignedOut?.(reason);
  }

  private scheduleAhead(): void {
    const ahead = this.options.refreshAhead ?? defaultAhead;
    if (ahead === false) return clearTimeout(this.timer);
    const lifetime = this.state.expiresAt - this.now();
    this.schedule(Math.max(0, lifetime - ahead(lifetime)));
  }

  private schedule(delayMs: number): void {
    clearTimeout(this.timer);
    const generation = this.state.generation;
    this.timer = setTimeout(() => void this.refresh(generation), delayMs);
  }

  private retryDelay(): number {
    const delays = this.options.retryDelaysMs ?? DEFAULT_RETRY_DELAYS_MS;
    const delay = delays[Math.min(this.failures, delays.length - 1)] ?? 30_000;
    this.failures += 1;
    return delay;
  }

  /** Above every generation seen, and above the clock so a tab that just opened outranks older state. */
  private nextGeneration(): number {
    return Math.max(this.state.generation + 1, this.now());
  }

  private emit(): void {
    for (const listener of this.listeners) listener(this.state.status);
  }
}
