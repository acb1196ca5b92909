// How invalidations travel between instances. Tags have a token in Redis (`cache-tag:<tag>`, random, never
// reused); a shared entry records the tokens its tags had before it was loaded, and is valid only while they
// are unchanged. Invalidating sets new tokens and publishes the tags on one channel, in one MULTI: once an
// instance hears the message, the shared entries it would read next are already invalid.
//
// The subscriber connection is checked by a PING every HEARTBEAT_MS. Replies on one connection arrive in
// order, so when the PONG of a ping sent at time s arrives, every message published before s has been
// handled. An instance trusts its in-process copies only while such a ping is at most BOUND_MS old: that
// is the staleness bound, whatever happens to the network.
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { keys, type RedisClient } from '../redis.js';

export const BOUND_MS = 1_000;
export const HEARTBEAT_MS = 250;

/** Pub/sub ignores the logical database: the channel names it, so databases sharing a server stay apart. */
export const channelOf = (redis: RedisClient) => `cache:invalidate:${redis.options.db ?? 0}`;

export const newToken = () => randomBytes(9).toString('base64url');

export interface Message {
  from: string;
  tags: string[];
}

/** New tokens for `tags` and the message that announces them, in one round trip. */
export async function publishInvalidation(redis: RedisClient, from: string, tags: readonly string[]): Promise<void> {
  const m = redis.multi();
  for (const tag of tags) m.set(keys.cacheTag(tag), newToken());
  m.publish(channelOf(redis), JSON.stringify({ from, tags: [...tags] } satisfies Message));
  const results = await m.exec();
  const failed = results?.find(([err]) => err);
  if (!results || failed) throw failed?.[0] ?? new Error('cache invalidation: MULTI aborted');
}

/**
 * For scripts that change cached data behind the servers' back (seed, admin:recover): invalidates `tags` on
 * every running instance. Throws when Redis cannot be reached (the caller says what that means).
 */
export async function invalidateFromScript(redisUrl: string, tags: readonly string[]): Promise<void> {
  const redis = new Redis(redisUrl, { lazyConnect: true, maxRetriesPerRequest: 1, connectTimeout: 2_000 });
  try {
    await redis.connect();
    await publishInvalidation(redis, `script:${process.pid}`, tags);
  } finally {
    redis.disconnect();
  }
}

export interface Link {
  /** True while a heartbeat sent within BOUND_MS has come back: every invalidation before it was handled. */
  fresh(now: number): boolean;
  close(): void;
}

/**
 * Subscribes a duplicate of `redis` to the channel. `onMessage` gets the tags of other instances'
 * invalidations; `onSubscribed` runs each time the subscription is (re)established, since messages sent
 * while it was down are lost.
 */
export function subscribe(
  redis: RedisClient,
  o: {
    self: string;
    now: () => number;
    onMessage: (tags: string[]) => void;
    onSubscribed: () => void;
    onError: (err: Error) => void;
  },
): Link {
  const channel = channelOf(redis);
  const sub = redis.duplicate({ autoResubscribe: false, enableAutoPipelining: false });
  let subscribedSince = Number.POSITIVE_INFINITY;
  let confirmedAt = Number.NEGATIVE_INFINITY;
  sub.on('error', () => {}); // the main client already reports Redis outages
  sub.on('close', () => (subscribedSince = Number.POSITIVE_INFINITY));
  sub.on('message', (ch: string, raw: string) => {
    if (ch !== channel) return;
    try {
      const m = JSON.parse(raw) as Message;
      if (m.from !== o.self && Array.isArray(m.tags)) o.onMessage(m.tags.map(String));
    } catch (err) {
      o.onError(err as Error);
    }
  });
  sub.on('ready', () => {
    const at = o.now();
    sub.subscribe(channel).then(
      () => {
        subscribedSince = at;
        o.onSubscribed();
      },
      (err: Error) => o.onError(err),
    );
  });
  sub.connect().catch(() => {}); // retried in the background like the main client
  const heartbeat = setInterval(() => {
    if (sub.status !== 'ready' || subscribedSince === Number.POSITIVE_INFINITY) return;
    const sent = o.now();
    sub.ping().then(
      () => {
        if (sent >= subscribedSince && sent > confirmedAt) confirmedAt = sent;
      },
      () => {},
    );
  }, HEARTBEAT_MS);
  heartbeat.unref();
  return {
    fresh: (now) => subscribedSince !== Number.POSITIVE_INFINITY && now - confirmedAt <= BOUND_MS,
    close() {
      clearInterval(heartbeat);
      sub.disconnect();
    },
  };
}
