import type { Backend, Notice } from './backend.js';
import { createStore } from './core.js';
import { StoreError } from './errors.js';
import { linkTo, type RedisClientLike } from './redis-client.js';
import { messageOf, stateOfEnd, storeDefaults, type ResumableStreamStore, type StoreOptions } from './store.js';
import type { ServerEvent } from './write.js';

export type { RedisClientLike } from './redis-client.js';

export interface RedisStoreOptions extends StoreOptions {
  /**
   * Prepended to every key and channel. Each stream's keys carry its id as a hash tag
   * (`<prefix>{<stream id>}:events`), so they live in one slot of a Redis Cluster.
   * @default "sse:"
   */
  prefix?: string | undefined;
  /**
   * Milliseconds the producer's lease lasts; it renews it every third of that. A reader that sees
   * no lease and no end for a whole check (`leaseTtl / 3`) ends the stream with a `ProducerLostError`
   * event: within `leaseTtl + leaseTtl / 3` of the producer's death (4 s by default).
   * @default 3000
   */
  leaseTtl?: number | undefined;
  /**
   * Milliseconds the store waits for Redis to answer one command. Past it the command fails with a
   * `StoreError`: `start` rejects, a reader ends with a `StoreError` event, a producer is stopped.
   * Without it a client that queues commands while Redis is down (node-redis does) would hold every
   * call for the whole outage.
   * @default 5000
   */
  commandTimeout?: number | undefined;
}

// Entry fields: `d` data, `e` event, `r` retry; `s` marks the start, `x` the end (its value: "" for a
// clean end, else the JSON of the error event's data).

/** A Redis stream entry id, `<ms>-<seq>`, each part a 64-bit unsigned integer as Redis takes it. */
function isEntryId(position: string): boolean {
  const parts = /^(\d{1,20})-(\d{1,20})$/.exec(position);
  return parts !== null && parts.slice(1).every((part) => BigInt(part) <= 0xffff_ffff_ffff_ffffn);
}
// Entries one XRANGE fetches: a reader joining a long stream catches up in a few round trips.
const READ_BATCH = 2048;

// Every key is written with its expiry in the same script, so no key outlives its stream, even one
// recreated by a command queued while Redis restarted. While a producer runs, its events live
// `liveTtl` (expireAfter plus twice the lease), so its death is noticed before they expire; the end
// sets `expireAfter` from then.

// KEYS: events, lease. ARGV: lease token, lease ttl, live ttl. Creates the stream unless it exists.
const START = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('XADD', KEYS[1], '*', 's', '1')
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return 1`;

// KEYS: events. ARGV: live ttl, then per event its field count and fields. Appends the batch unless
// the stream is gone (Redis restarted, or it expired): then nothing is written and the reply is nil.
// (One script per batch: per event, a script costs Redis as much as four XADDs.)
const APPEND = `if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local i = 2
while i <= #ARGV do
  local n = tonumber(ARGV[i])
  redis.call('XADD', KEYS[1], '*', unpack(ARGV, i + 1, i + n))
  i = i + n + 1
end
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return 1`;

// KEYS: events, lease, stop. ARGV: lease token, lease ttl, live ttl.
// -1: the lease is not ours any more; 1: stop was asked; 0: carry on.
const RENEW = `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('EXISTS', KEYS[3])`;

// KEYS: events, lease, ended. ARGV: end value, expireAfter, lease token ("" for a reader that found
// the lease gone). Writes the end once, whoever notices first; 1 if this call wrote it.
const END = `if ARGV[3] == '' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
if not redis.call('SET', KEYS[3], '1', 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('XADD', KEYS[1], '*', 'x', ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

/**
 * A store in Redis Streams, for many server processes sharing one Redis or a Redis Cluster: a script
 * per batch of events that `XADD`s them under the entry ids Redis assigns and sets the stream's
 * expiry in the same step, `XRANGE` to replay, pub/sub to wake live readers (sharded on a cluster),
 * a lease the producer renews so readers elsewhere learn when its process died. `client` is the
 * app's connected client, node-redis or ioredis, single or cluster (see `RedisClientLike`); the store
 * duplicates it once for pub/sub (`close()` ends that connection, not the app's). Every key of a
 * stream carries its id as a hash tag, so a stream lives in one slot.
 */
export function redisStore(
  client: RedisClientLike,
  options: RedisStoreOptions = {},
): ResumableStreamStore & { close(): Promise<void> } {
  const { prefix = 'sse:', leaseTtl = 3000, expireAfter = storeDefaults.expireAfter, commandTimeout = 5000 } = options;
  const link = linkTo(client);
  // How long a running stream's events live: past its producer's death being noticed.
  const liveTtl = expireAfter + 2 * leaseTtl;
  const keys = (streamId: string) => {
    const base = `${prefix}{${streamId}}`;
    return {
      events: `${base}:events`,
      lease: `${base}:lease`,
      stop: `${base}:stop`,
      ended: `${base}:ended`,
      readers: `${base}:readers`,
      notify: `${base}:notify`,
    };
  };
  /** One command, bounded by `commandTimeout`; `key` routes it on a cluster. */
  function command<T>(key: string, ...args: Array<string | number>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreError(`Redis did not answer ${String(args[0])} within ${commandTimeout} ms`)),
        commandTimeout,
      );
      link.command<T>(key, args).then(
        (reply) => {
          clearTimeout(timer);
          resolve(reply);
        },
        (error: unknown) => {
          clearTimeout(timer);
          reject(new StoreError(`Redis: ${messageOf(error)}`, error));
        },
      );
    });
  }
  // EVAL, not EVALSHA: Redis caches the compiled script either way, and an EVALSHA that met a node
  // without the script (a failover) would have to be re-sent, out of order with the appends after it.
  const script = <T>(lua: string, keyNames: string[], ...args: Array<string | number>) =>
    command<T>(keyNames[0]!, 'EVAL', lua, keyNames.length, ...keyNames, ...args);
  const endOf = (streamId: string, end: string, token: string) => {
    const key = keys(streamId);
    return script(END, [key.events, key.lease, key.ended], end, expireAfter, token);
  };

  // The store's subscriptions: a channel's listeners share one.
  const listeners = new Map<string, Set<(notice: Notice) => void>>();

  const backend: Backend = {
    isPosition: isEntryId,
    origin: '0-0',
    leaseTtl,
    async create(streamId, token) {
      const key = keys(streamId);
      return (await script<number>(START, [key.events, key.lease], token, leaseTtl, liveTtl)) === 1;
    },
    async append(streamId, events) {
      const args: Array<string | number> = [];
      for (const { data, event, retry } of events) {
        const fields = ['d', data];
        if (event !== undefined) fields.push('e', event);
        if (retry !== undefined) fields.push('r', String(retry));
        args.push(fields.length, ...fields);
      }
      return (await script<number | null>(APPEND, [keys(streamId).events], liveTtl, ...args)) !== null;
    },
    async renew(streamId, token) {
      const key = keys(streamId);
      const state = await script<number>(RENEW, [key.events, key.lease, key.stop], token, leaseTtl, liveTtl);
      return state === 0 ? 'ok' : state === 1 ? 'stop' : 'lost';
    },
    async end(streamId, end, token) {
      await endOf(streamId, end, token);
    },
    async readAfter(streamId, position) {
      const key = keys(streamId).events;
      const entries = await command<Array<[string, string[]]>>(
        key,
        'XRANGE',
        key,
        `(${position}`,
        '+',
        'COUNT',
        READ_BATCH,
      );
      const stored = [];
      for (const [id, list] of entries) {
        const field = fieldsOf(list);
        if (field.x !== undefined) return { entries: stored, end: field.x };
        if (field.d === undefined) continue;
        const event: ServerEvent = { data: field.d };
        if (field.e !== undefined) event.event = field.e;
        if (field.r !== undefined) event.retry = Number(field.r);
        stored.push({ position: id, event });
      }
      return { entries: stored };
    },
    async exists(streamId) {
      const key = keys(streamId).events;
      return (await command<number>(key, 'EXISTS', key)) === 1;
    },
    async leased(streamId) {
      const key = keys(streamId).lease;
      return (await command<number>(key, 'EXISTS', key)) === 1;
    },
    async ended(streamId) {
      const key = keys(streamId).ended;
      return (await command<number>(key, 'EXISTS', key)) === 1;
    },
    async remove(streamId) {
      const key = keys(streamId);
      await command(key.events, 'DEL', key.events, key.lease);
    },
    async touch(streamId, ttl) {
      const key = keys(streamId).readers;
      await command(key, 'SET', key, '1', 'PX', ttl);
    },
    async watched(streamId) {
      const key = keys(streamId).readers;
      return (await command<number>(key, 'EXISTS', key)) === 1;
    },
    async requestStop(streamId) {
      const key = keys(streamId).stop;
      await command(key, 'SET', key, '1', 'PX', expireAfter);
      await backend.notify(streamId, 's');
    },
    async listen(streamId, listener) {
      const channel = keys(streamId).notify;
      let set = listeners.get(channel);
      if (!set) {
        const created = new Set<(notice: Notice) => void>();
        listeners.set(channel, (set = created));
        await link.subscribe(channel, (message) => created.forEach((each) => each(message as Notice)));
      }
      set.add(listener);
      return () => {
        set.delete(listener);
        if (set.size > 0 || listeners.get(channel) !== set) return;
        listeners.delete(channel);
        link.unsubscribe(channel).catch(() => {});
      };
    },
    async notify(streamId, notice) {
      // A lost wake-up is caught up by the readers' own clock (a third of the lease).
      await link.publish(keys(streamId).notify, notice).catch(() => {});
    },
    async state(streamId) {
      const key = keys(streamId);
      // The last two entries: the end (if it ended) and the last event before it, or the start marker.
      const [leased, last] = await Promise.all([
        command<number>(key.lease, 'EXISTS', key.lease),
        command<Array<[string, string[]]>>(key.events, 'XREVRANGE', key.events, '+', '-', 'COUNT', 2),
      ]);
      if (last.length === 0) return { state: 'expired', lastEventId: '' };
      const [newest, before] = last.map(([id, fields]) => ({ id, field: fieldsOf(fields) }));
      const end = newest!.field.x;
      const lastEvent = end === undefined ? newest : before;
      const lastEventId = lastEvent?.field.d === undefined ? '' : `${streamId}:${lastEvent.id}`;
      if (end !== undefined) return { state: stateOfEnd(end), lastEventId };
      // No end written, and no lease: its producer died and no reader has noticed yet.
      return { state: leased ? 'active' : 'lost', lastEventId };
    },
    async close() {
      listeners.clear();
      await link.close();
    },
  };
  return createStore(backend, options);
}

/** An entry's `[name, value, name, value, …]` as an object. */
function fieldsOf(list: string[]): Record<string, string | undefined> {
  const fields: Record<string, string> = {};
  for (let i = 0; i + 1 < list.length; i += 2) fields[list[i]!] = list[i + 1]!;
  return fields;
}
