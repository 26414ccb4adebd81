import { BeforeApplicationShutdown, Inject, Injectable, Logger } from '@nestjs/common';
import { ConfigType } from '@nestjs/config';
import { setTimeout as sleep } from 'node:timers/promises';
import { redisConfig } from '../config/configuration';
import { JobKeys } from '../queue/job-keys';
import { REDIS_CLIENT } from '../redis/redis.constants';
import { createRedisConnection, RedisClient } from '../redis/redis-connection';
import { JobEvent, StreamEntry, streamIdAfter, toJobEvent } from './job-event';

/** One live listener (an SSE client). */
export interface EventSink {
  /** Which events it wants. */
  accepts(event: JobEvent): boolean;
  /** Delivers one entry; false when the listener is gone (or was dropped as too slow). */
  deliver(entry: StreamEntry): boolean;
  /** Keeps an idle connection open through proxies. */
  ping(): void;
  /** Ends the listener (the service is shutting down). */
  close(): void;
}

interface Subscription {
  sink: EventSink;
  /** Live entries held back while the listener catches up on history. */
  held?: StreamEntry[];
}

/** Entries per XREAD / XRANGE call. */
const BATCH = 1000;
/** How long one XREAD blocks before it looks again. */
const BLOCK_MS = 5000;
const KEEP_ALIVE_MS = 15_000;

/**
 * Fans the `<prefix>:events` stream out to any number of listeners from ONE
 * blocking reader (XREAD BLOCK on a connection of its own), started with the
 * first listener. A listener resuming from a Last-Event-ID first gets what it
 * missed (XRANGE on the shared connection, as far back as the stream holds), then
 * live entries, each exactly once.
 */
@Injectable()
export class EventHub implements BeforeApplicationShutdown {
  private readonly logger = new Logger('Events');
  private readonly key: string;
  private readonly subscriptions = new Set<Subscription>();
  private reader?: RedisClient;
  private started?: Promise<void>;
  private lastId = '0-0';
  private stopping = false;
  private keepAlive?: NodeJS.Timeout;

  constructor(
    @Inject(REDIS_CLIENT) private readonly redis: RedisClient,
    @Inject(redisConfig.KEY) private readonly settings: ConfigType<typeof redisConfig>,
  ) {
    this.key = new JobKeys(settings.queuePrefix).events;
  }

  get listeners(): number {
    return this.subscriptions.size;
  }

  /**
   * Adds a listener; with `after` (a stream id) it first receives the entries after
   * that id. Resolves once it is live; returns the function that removes it.
   */
  async subscribe(sink: EventSink, after?: string): Promise<() => void> {
    await this.start();
    const subscription: Subscription = { sink, held: after === undefined ? undefined : [] };
    this.subscriptions.add(subscription);
    const remove = (): void => void this.subscriptions.delete(subscription);
    if (after === undefined) return remove;
    let last = after;
    try {
      for (;;) {
        const entries = await this.redis.xrange(this.key, `(${last}`, '+', 'COUNT', BATCH);
        for (const [id, fields] of entries) {
          last = id;
          if (!this.offer(subscription, { id, event: toJobEvent(fields) })) return remove;
        }
        if (entries.length < BATCH) break;
      }
    } catch (error) {
      remove();
      throw error;
    }
    const held = subscription.held ?? [];
    subscription.held = undefined;
    for (const entry of held) {
      if (streamIdAfter(entry.id, last) && !this.offer(subscription, entry)) break;
    }
    return remove;
  }

  /** The newest entry's id (or 0-0): where a live-only listener starts. */
  async currentId(): Promise<string> {
    await this.start();
    return this.lastId;
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.keepAlive);
    for (const { sink } of this.subscriptions) sink.close();
    this.subscriptions.clear();
    this.reader?.disconnect();
  }

  /**
   * Starts the reader if it is not running; rejects when Redis cannot be reached (an
   * SSE route checks this before it answers 200). A failed start is tried again by
   * the next caller.
   */
  start(): Promise<void> {
    this.started ??= this.open().catch((error: unknown) => {
      this.started = undefined;
      throw error;
    });
    return this.started;
  }

  private async open(): Promise<void> {
    const [newest] = await this.redis.xrevrange(this.key, '+', '-', 'COUNT', 1);
    this.lastId = newest?.[0] ?? '0-0';
    if (this.stopping) return;
    this.reader = createRedisConnection(
      this.settings,
      `${this.settings.queuePrefix}:events-reader:${process.pid}`,
      { enableOfflineQueue: true, maxRetriesPerRequest: null, commandTimeout: undefined },
    );
    this.keepAlive = setInterval(() => {
      for (const { sink } of this.subscriptions) sink.ping();
    }, KEEP_ALIVE_MS);
    this.keepAlive.unref();
    void this.read(this.reader);
  }

  private async read(reader: RedisClient): Promise<void> {
    while (!this.stopping) {
      try {
        const reply = await reader.xread(
          'COUNT',
          BATCH,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.key,
          this.lastId,
        );
        for (const [, entries] of reply ?? []) {
          for (const [id, fields] of entries) {
            this.lastId = id;
            this.fanOut({ id, event: toJobEvent(fields) });
          }
        }
      } catch (error) {
        if (this.stopping) return;
        this.logger.warn(`Cannot read the events stream: ${(error as Error).message}; retrying`);
        await sleep(1000);
      }
    }
  }

  private fanOut(entry: StreamEntry): void {
    for (const subscription of this.subscriptions) {
      if (subscription.held) subscription.held.push(entry);
      else this.offer(subscription, entry);
    }
  }

  /** Delivers to one listener if it wants the entry; false (and removed) when it is gone. */
  private offer(subscription: Subscription, entry: StreamEntry): boolean {
    if (!subscription.sink.accepts(entry.event)) return true;
    if (subscription.sink.deliver(entry)) return true;
    this.subscriptions.delete(subscription);
    return false;
  }
}
