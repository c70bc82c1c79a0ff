// How instances tell each other that a user changed, so that each can drop its cached copy at once.
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { redisFailure, type RedisClient } from '../infra/redis';

const RESUBSCRIBE_MAX_DELAY_MS = 1_000;
const SUBSCRIBER_OPTIONS = { retryStrategy: () => null, connectTimeout: 1_500, lazyConnect: false } satisfies RedisOptions;

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
 * Redis pub/sub on `channel`. A subscriber connection of its own, to one node: on a Redis Cluster a
 * plain PUBLISH reaches the subscribers of every node, so any node will do. While the subscriber is down
 * the feed is not live (so caches stop serving); when it drops, listeners hear `null` (so caches are
 * emptied), and a new subscriber is opened, on a cluster to whichever node is alive (a killed master's
 * subscribers would otherwise wait for a node that is gone). Sharded pub/sub (SPUBLISH) was not used:
 * its subscriber must follow the channel's slot through failovers, and missing a message is what
 * this feed must never do in silence.
 */
export class RedisUserChangeFeed implements UserChangeFeed {
  private subscriber: Redis | undefined;
  private readonly listeners: UserChangeListener[] = [];
  private listening = false;
  private closed = false;
  private reconnectTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly publisher: RedisClient,
    private readonly channel: string,
  ) {
    this.open(0);
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
    this.closed = true;
    this.listening = false;
    clearTimeout(this.reconnectTimer);
    const subscriber = this.subscriber;
    this.subscriber = undefined;
    await subscriber?.quit().catch(() => subscriber.disconnect());
  }

  private open(attempt: number): void {
    if (this.closed) return;
    const subscriber = this.newSubscriber();
    this.subscriber = subscriber;
    subscriber.on('error', () => {}); // the publisher's connection reports Redis outages
    subscriber.once('ready', () => {
      subscriber.subscribe(this.channel).then(
        () => {
          if (this.subscriber === subscriber) this.listening = true;
          attempt = 0;
        },
        () => subscriber.disconnect(),
      );
    });
    subscriber.on('message', (from: string, userId: string) => {
      if (from === this.channel && this.subscriber === subscriber) this.notify(userId);
    });
    subscriber.once('end', () => {
      if (this.subscriber !== subscriber) return;
      this.cut();
      // A fresh connection (to a live node, on a cluster) after a short, growing pause.
      this.reconnectTimer = setTimeout(() => this.open(attempt + 1), Math.min(100 * (attempt + 1), RESUBSCRIBE_MAX_DELAY_MS));
    });
  }

  /** No retries of its own: when it ends, open() starts a new one (on a cluster, to a node alive now). */
  private newSubscriber(): Redis {
    if (!(this.publisher instanceof Cluster)) return this.publisher.duplicate(SUBSCRIBER_OPTIONS);
    const nodes = this.publisher.nodes('all');
    const node = nodes[Math.floor(Math.random() * nodes.length)];
    // No node known yet (the cluster is not reached): a subscriber that ends at once, so open() tries again.
    return new Redis({ ...SUBSCRIBER_OPTIONS, host: node?.options.host ?? '127.0.0.1', port: node?.options.port ?? 0 });
  }

  private cut(): void {
    this.listening = false;
    this.notify(null);
  }

  private notify(userId: string | null): void {
    for (const listener of this.listeners) listener(userId);
  }
}
