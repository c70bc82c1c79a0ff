// The users layer's one invalidation point: a UserRepository decorator that keeps recently read users
// in this process for USER_CACHE_TTL, so the hot path (`me`, refresh, _entities) skips PostgreSQL.
// Every write to a user goes through it and calls invalidate(userId), which drops the entry here and,
// through the UserChangeFeed, on every other instance. A new write method on UserRepository must do
// the same (the compiler makes it implement the method here).
import type { Duration } from '../config/duration';
import type { NewUser, UserRecord, UserRepository } from './user';
import type { UserChangeFeed } from './user-change-feed';

interface Entry {
  user: UserRecord;
  expiresAtMs: number;
}

export interface UserCacheSettings {
  ttl: Duration;
  /** Most users kept; the least recently filled go first. */
  maxEntries: number;
}

export class CachedUserRepository implements UserRepository {
  private readonly entries = new Map<string, Entry>();
  /** Bumped by every invalidation: a read that started before one must not fill the cache after it. */
  private epoch = 0;

  constructor(
    private readonly inner: UserRepository,
    private readonly feed: UserChangeFeed,
    private readonly settings: UserCacheSettings,
    private readonly nowMs: () => number = Date.now,
  ) {
    feed.subscribe((userId) => (userId === null ? this.dropAll() : this.drop(userId)));
  }

  async findById(id: string): Promise<UserRecord | null> {
    if (!this.feed.live) return this.inner.findById(id); // changes elsewhere would go unheard
    const entry = this.entries.get(id);
    if (entry && entry.expiresAtMs > this.nowMs()) return entry.user;
    const epoch = this.epoch;
    const user = await this.inner.findById(id);
    if (user && epoch === this.epoch && this.feed.live) this.fill(user);
    return user;
  }

  /** Login reads the password hash: always fresh from the database. */
  findByEmail(email: string): Promise<UserRecord | null> {
    return this.inner.findByEmail(email);
  }

  /** A new user is in no cache yet (misses are not cached). */
  create(user: NewUser): Promise<UserRecord> {
    return this.inner.create(user);
  }

  async updatePasswordHash(id: string, passwordHash: string): Promise<void> {
    await this.inner.updatePasswordHash(id, passwordHash);
    await this.invalidate(id);
  }

  async delete(id: string): Promise<void> {
    await this.inner.delete(id);
    await this.invalidate(id);
  }

  /** Drops the user here at once and tells every other instance; throws when they cannot be told. */
  async invalidate(userId: string): Promise<void> {
    this.drop(userId);
    await this.feed.publish(userId);
  }

  private fill(user: UserRecord): void {
    if (this.settings.ttl.seconds === 0) return;
    this.entries.delete(user.id);
    this.entries.set(user.id, { user, expiresAtMs: this.nowMs() + this.settings.ttl.milliseconds });
    if (this.entries.size > this.settings.maxEntries) {
      const oldest = this.entries.keys().next();
      if (!oldest.done) this.entries.delete(oldest.value);
    }
  }

  private drop(userId: string): void {
    this.epoch += 1;
    this.entries.delete(userId);
  }

  private dropAll(): void {
    this.epoch += 1;
    this.entries.clear();
  }
}
