/**
 * The Redis clients apps already have, behind the few operations the Redis store needs: node-redis
 * (`redis`) `createClient()` and `createCluster()`, ioredis `new Redis()` and `new Redis.Cluster()`.
 * The store never asks for a second kind of client; it only duplicates the app's for pub/sub.
 */

/**
 * A connected client of either library, single server or cluster. (Typed by the one method each
 * library is told apart by, so every version's own client type fits.)
 */
export type RedisClientLike =
  // node-redis 4 to 6: `createClient()` after `connect()`, or `createCluster()` after `connect()`.
  | { sendCommand(...args: never[]): Promise<unknown>; duplicate(...args: never[]): unknown }
  // ioredis 5 and 6: `new Redis()`, `new Redis.Cluster()`.
  | { call(...args: never[]): Promise<unknown>; duplicate(...args: never[]): unknown };

/** What the store does with Redis. */
export interface RedisLink {
  /** One command; `key` is a key it touches, which routes it to its slot's node on a cluster. */
  command<T>(key: string, args: Array<string | number>): Promise<T>;
  /** Wakes the subscribers of `channel`: on a cluster only the channel's shard hears it (SPUBLISH). */
  publish(channel: string, message: string): Promise<unknown>;
  /** Subscribes on a connection of the store's own, made on first use; one listener per channel. */
  subscribe(channel: string, listener: (message: string) => void): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  /** Ends the store's own connections (the app's client stays the app's). */
  close(): Promise<void>;
}

type Listener = (message: string) => void;

interface NodeRedis {
  sendCommand(...args: unknown[]): Promise<unknown>;
  duplicate(): NodeRedis;
  connect(): Promise<unknown>;
  on(event: 'error', listener: (error: unknown) => void): unknown;
  subscribe(channel: string, listener: Listener): Promise<unknown>;
  unsubscribe(channel: string, listener?: Listener): Promise<unknown>;
  sSubscribe(channel: string, listener: Listener): Promise<unknown>;
  sUnsubscribe(channel: string, listener?: Listener): Promise<unknown>;
  close?(): Promise<unknown>;
  quit?(): Promise<unknown>;
}

interface IoRedis {
  call(command: string, ...args: Array<string | number>): Promise<unknown>;
  duplicate(): IoRedis;
  on(event: string, listener: (channel: string, message: string) => void): unknown;
  subscribe(channel: string): Promise<unknown>;
  unsubscribe(channel: string): Promise<unknown>;
  ssubscribe(channel: string): Promise<unknown>;
  sunsubscribe(channel: string): Promise<unknown>;
  quit(): Promise<unknown>;
  isCluster?: boolean;
  options?: { shardedSubscribers?: boolean };
}

/** The app's client as a `RedisLink`, or a `TypeError` naming what is supported. */
export function linkTo(client: RedisClientLike): RedisLink {
  if (typeof (client as Partial<IoRedis>).call === 'function') return ioredisLink(client as unknown as IoRedis);
  if (typeof (client as Partial<NodeRedis>).sendCommand === 'function') {
    return 'masters' in client
      ? nodeRedisClusterLink(client as unknown as NodeRedis)
      : nodeRedisLink(client as unknown as NodeRedis);
  }
  throw new TypeError(
    'redisStore takes a connected node-redis client or cluster (createClient, createCluster) or an ioredis Redis or Redis.Cluster',
  );
}

function nodeRedisLink(client: NodeRedis): RedisLink {
  let subscriber: Promise<NodeRedis> | undefined;
  const connect = () =>
    (subscriber ??= (async () => {
      const connection = client.duplicate();
      // node-redis emits connection errors as events, which would crash the process unheard; a lost
      // connection shows where it matters: in the commands that fail and the readers that end.
      connection.on('error', () => {});
      try {
        await connection.connect();
      } catch (error) {
        // Made while Redis was down: the next subscription tries again, rather than every reader
        // failing until the process restarts.
        subscriber = undefined;
        throw error;
      }
      return connection;
    })());
  return {
    command: <T>(_key: string, args: Array<string | number>) => client.sendCommand(args.map(String)) as Promise<T>,
    publish: (channel, message) => client.sendCommand(['PUBLISH', channel, message]),
    subscribe: async (channel, listener) => (await connect()).subscribe(channel, listener),
    unsubscribe: async (channel) => (await connect()).unsubscribe(channel),
    async close() {
      const connection = await subscriber;
      subscriber = undefined;
      await (connection?.close?.() ?? connection?.quit?.());
    },
  };
}

function nodeRedisClusterLink(cluster: NodeRedis): RedisLink {
  // node-redis keeps a pub/sub connection per shard itself; the store's listeners are its own.
  const own = new Map<string, Listener>();
  return {
    command: <T>(key: string, args: Array<string | number>) =>
      cluster.sendCommand(key, false, args.map(String)) as Promise<T>,
    publish: (channel, message) => cluster.sendCommand(channel, false, ['SPUBLISH', channel, message]),
    async subscribe(channel, listener) {
      own.set(channel, listener);
      await cluster.sSubscribe(channel, listener);
    },
    async unsubscribe(channel) {
      const listener = own.get(channel);
      own.delete(channel);
      if (listener) await cluster.sUnsubscribe(channel, listener);
    },
    async close() {
      const channels = [...own];
      own.clear();
      await Promise.all(channels.map(([channel, listener]) => cluster.sUnsubscribe(channel, listener)));
    },
  };
}

function ioredisLink(client: IoRedis): RedisLink {
  const cluster = client.isCluster === true;
  // Sharded pub/sub on a cluster needs ioredis's `shardedSubscribers: true` (a subscriber per
  // primary); without it, ioredis routes SSUBSCRIBE to one node and messages are missed, so plain
  // pub/sub is used, which the cluster bus carries to every node.
  const sharded = cluster && client.options?.shardedSubscribers === true;
  // ioredis delivers every channel's messages to one event: the store's listener per channel.
  const listeners = new Map<string, Listener>();
  let subscriber: IoRedis | undefined;
  const connect = () => {
    if (!subscriber) {
      subscriber = client.duplicate();
      subscriber.on('error', () => {});
      subscriber.on(sharded ? 'smessage' : 'message', (channel, message) => listeners.get(channel)?.(message));
    }
    return subscriber;
  };
  return {
    command: <T>(_key: string, [name, ...args]: Array<string | number>) =>
      client.call(String(name), ...args) as Promise<T>,
    publish: (channel, message) => client.call(sharded ? 'SPUBLISH' : 'PUBLISH', channel, message),
    async subscribe(channel, listener) {
      listeners.set(channel, listener);
      await (sharded ? connect().ssubscribe(channel) : connect().subscribe(channel));
    },
    async unsubscribe(channel) {
      listeners.delete(channel);
      await (sharded ? connect().sunsubscribe(channel) : connect().unsubscribe(channel));
    },
    async close() {
      listeners.clear();
      const connection = subscriber;
      subscriber = undefined;
      await connection?.quit();
    },
  };
}
