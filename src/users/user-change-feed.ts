// How instances tell each other that a user changed, so that each can drop its cached copy at once.
import type { Redis } from 'ioredis';
import { redisFailure } from '../infra/redis';

/** `userId`: that user changed. `null`: changes may have been missed (the feed was cut): drop everything. */
export type UserChangeListener = (userId: string | null) => void;

export interface UserChangeFeed {
  /** Tells every instance, this one included; throws (SERVICE_UNAVAILABLE) when it cannot. */
  publish(userId: string): Promise<void>;
  subscribe(listener: UserChangeListener): void;
  /** True only while changes made elsewhere are being heard: a cache must not serve otherwise. */
  readonly live: boolean;
  close(): Promise<void>;
}

/** One process: every change is heard at once. The embedded development mode's feed. */
export class LocalUserChangeFeed implements UserChangeFeed {
  private readonly listeners: UserChangeListener[] = [];
  readonly live = true;

  async publish(userId: string): Promise<void> {
    for (const listener of this.listeners) listener(userId);
  }

  subscribe(listener: UserChangeListener): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {}
}

/**
 * Redis pub/sub on `channel`. A subscriber connection of its own; while it is down the feed is not
 * live (so caches stop serving), and when it drops, listeners hear `null` (so caches are emptied).
 */
export class RedisUserChangeFeed implements UserChangeFeed {
  private readonly subscriber: Redis;
  private readonly listeners: UserChangeListener[] = [];
  private listening = false;

  constructor(
    private readonly publisher: Redis,
    private readonly channel: string,
  ) {
    this.subscriber = publisher.duplicate();
    this.subscriber.on('error', () => {}); // the publisher's connection reports Redis outages
    this.subscriber.on('ready', () => {
      this.subscriber.subscribe(channel).then(
        () => {
          this.listening = true;
        },
        () => this.cut(),
      );
    });
    this.subscriber.on('close', () => this.cut());
    this.subscriber.on('message', (from: string, userId: string) => {
      if (from === channel) this.notify(userId);
    });
  }

  get live(): boolean {
    return this.listening;
  }

  async publish(userId: string): Promise<void> {
    try {
      await this.publisher.publish(this.channel, userId);
    } catch (error) {
      throw redisFailure(error);
    }
  }

  subscribe(listener: UserChangeListener): void {
    this.listeners.push(listener);
  }

  async close(): Promise<void> {
    this.listening = false;
    await this.subscriber.quit().catch(() => this.subscriber.disconnect());
  }

  private cut(): void {
    if (!this.listening) return;
    this.listening = false;
    this.notify(null);
  }

  private notify(userId: string | null): void {
    for (const listener of this.listeners) listener(userId);
  }
}
