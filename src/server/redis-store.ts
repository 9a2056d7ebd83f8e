import type { Backend, Notice } from './backend.js';
import { createStore } from './core.js';
import { InvalidEventIdError, StoreError } from './errors.js';
import { linkTo, type RedisClientLike } from './redis-client.js';
import {
  messageOf,
  neverIssued,
  stateOfEnd,
  storeDefaults,
  type ResumableStreamStore,
  type StoreOptions,
} from './store.js';
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

// A stream is one Redis string, its log: a line per event, then after the last event a line for the
// end. Lines are ASCII, so a character is a byte and an event's position (its id's part after the
// stream's) is the length of the log up to the end of its line:
// - `d<data>`: an event with data only (a chat's tokens), escaped as below;
// - `j<JSON>`: one with a type or retry, the array `[data, event or null, retry?]`;
// - `x<end>`: the end, escaped: "" for a clean end, else the JSON of the error event's data.
// A reader joining a long stream gets it in one GETRANGE, one reply, and reads a data-only line
// without a parser: read entry by entry (Redis Streams, XRANGE), a join of 10,000 events took 20 ms
// to parse here; as JSON lines, 5.

/** A position: a byte offset into the log. Redis strings end at 512 MB: at most 9 digits. */
const isOffset = (position: string) => /^\d{1,9}$/.test(position);

// Escaped: the backslash, the line breaks, and everything past ASCII (as \uXXXX, one UTF-16 unit).
const ESCAPED = /[\\\n\r\u007f-\uffff]/g;
const ESCAPE = /\\(?:u([0-9a-f]{4})|(.))/g;

function escape(text: string): string {
  return text.replace(ESCAPED, (char) => {
    if (char === '\\') return '\\\\';
    if (char === '\n') return '\\n';
    if (char === '\r') return '\\r';
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}

function unescape(text: string): string {
  if (!text.includes('\\')) return text;
  return text.replace(ESCAPE, (_, hex: string | undefined, char: string) => {
    if (hex) return String.fromCharCode(parseInt(hex, 16));
    return char === 'n' ? '\n' : char === 'r' ? '\r' : char;
  });
}

/** An event's line in the log, newline included. */
function lineOf({ data, event, retry }: ServerEvent): string {
  if (event === undefined && retry === undefined) return `d${escape(data)}\n`;
  const fields: Array<string | number | null> = [data, event ?? null];
  if (retry !== undefined) fields.push(retry);
  return `j${escape(JSON.stringify(fields))}\n`;
}

const endLine = (end: string) => `x${escape(end)}\n`;

/** An event with a type or retry, from its `j` line's unescaped JSON, with its id. */
function eventOfJson(json: string, id: string): ServerEvent {
  const [data, event, retry] = JSON.parse(json) as [string, string | null, number?];
  const read: ServerEvent = { data, id };
  if (event !== null) read.event = event;
  if (retry !== undefined) read.retry = retry;
  return read;
}

// Bytes one read fetches: a reader joining a long stream catches up in a round trip or a few.
const READ_WINDOW = 1 << 20;

// Every key is written with its expiry in the same script, so no key outlives its stream, even one
// recreated by a command queued while Redis restarted. While a producer runs, its log lives
// `liveTtl` (expireAfter plus twice the lease), so its death is noticed before it expires; the end
// sets `expireAfter` from then.

// KEYS: events, lease. ARGV: lease token, lease ttl, live ttl. Creates the stream unless it exists.
const START = `if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('SET', KEYS[2], ARGV[1], 'PX', ARGV[2])
redis.call('SET', KEYS[1], '', 'PX', ARGV[3])
return 1`;

// KEYS: events, lease. ARGV: live ttl, the batch's lines, lease token. Appends them if the producer
// holds the lease; else nothing is written and the reply is nil: the stream is gone (Redis restarted,
// or it expired), or it is another producer's (the lease lapsed, or the id was started again in a
// restarted Redis while the old producer's appends were queued in its client); else the log's length.
const APPEND = `if redis.call('GET', KEYS[2]) ~= ARGV[3] then return false end
if redis.call('EXISTS', KEYS[1]) == 0 then return false end
local length = redis.call('APPEND', KEYS[1], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[1])
return length`;

// KEYS: events, lease, stop. ARGV: lease token, lease ttl, live ttl.
// -1: the lease is not ours any more; 1: stop was asked; 0: carry on.
const RENEW = `if redis.call('GET', KEYS[2]) ~= ARGV[1] then return -1 end
redis.call('PEXPIRE', KEYS[2], ARGV[2])
redis.call('PEXPIRE', KEYS[1], ARGV[3])
return redis.call('EXISTS', KEYS[3])`;

// KEYS: events, lease, ended. ARGV: end line, expireAfter, lease token ("" for a reader that found
// the lease gone). Writes the end once, whoever notices first (the ended key keeps its line, for
// state()); 1 if this call wrote it.
const END = `if ARGV[3] == '' and redis.call('EXISTS', KEYS[2]) == 1 then return 0 end
if ARGV[3] ~= '' and redis.call('GET', KEYS[2]) ~= ARGV[3] then return 0 end
if not redis.call('SET', KEYS[3], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('APPEND', KEYS[1], ARGV[1])
redis.call('DEL', KEYS[2])
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return 1`;

// KEYS: events. ARGV: a position. 0: no such stream; -1: the position is past the log's end or
// inside a line; 1: a position this stream issued.
const CHECK = `if redis.call('EXISTS', KEYS[1]) == 0 then return 0 end
local at = tonumber(ARGV[1])
if at == 0 then return 1 end
if at > redis.call('STRLEN', KEYS[1]) then return -1 end
if redis.call('GETRANGE', KEYS[1], at - 1, at - 1) ~= '\\n' then return -1 end
return 1`;

/**
 * A store in Redis, for many server processes sharing one Redis or a Redis Cluster: a script per batch
 * of events that appends their lines to the stream's log and sets its expiry in the same step,
 * `GETRANGE` to replay, pub/sub to wake live readers (sharded on a cluster),
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
  // A note's key holds its own hash tag: any string, kept apart from streams' keys by its suffix.
  const noteKey = (key: string) => `${prefix}{${key}}:note`;
  /** One command, bounded by `commandTimeout`; `key` routes it on a cluster. */
  function command<T>(key: string, ...args: Array<string | number>): Promise<T> {
    return bounded(String(args[0]), () => link.command<T>(key, args));
  }
  /** What `ask` asks Redis (`name`), failing with a StoreError past `commandTimeout`. */
  function bounded<T>(name: string, ask: () => Promise<T>): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new StoreError(`Redis did not answer ${name} within ${commandTimeout} ms`)),
        commandTimeout,
      );
      ask().then(
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
    return script(END, [key.events, key.lease, key.ended], endLine(end), expireAfter, token);
  };

  // The store's subscriptions: a channel's listeners share one, and each waits until it is made.
  const listeners = new Map<string, { each: Set<(notice: Notice) => void>; subscribed: Promise<unknown> }>();

  const backend: Backend = {
    isPosition: isOffset,
    origin: '0',
    leaseTtl,
    async create(streamId, token) {
      const key = keys(streamId);
      return (await script<number>(START, [key.events, key.lease], token, leaseTtl, liveTtl)) === 1;
    },
    async append(streamId, token, events) {
      const lines = events.map(lineOf);
      const key = keys(streamId);
      const length = await script<number | null>(APPEND, [key.events, key.lease], liveTtl, lines.join(''), token);
      if (length === null) return null;
      // Each event ends where the lines after it begin.
      const positions = new Array<string>(lines.length);
      let end = length;
      for (let index = lines.length - 1; index >= 0; index--) {
        positions[index] = String(end);
        end -= lines[index]!.length;
      }
      return positions;
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
      const from = Number(position);
      let log = await command<string>(key, 'GETRANGE', key, from, from + READ_WINDOW - 1);
      // One event longer than the window: the rest of the log, whatever its size.
      if (log.length === READ_WINDOW && !log.includes('\n'))
        log = await command<string>(key, 'GETRANGE', key, from, -1);
      const events: ServerEvent[] = [];
      // A log with no backslash has no line to unescape (a chat's tokens seldom have one): one
      // search for the whole read instead of one per line halves the cost of a join.
      const escaped = log.includes('\\');
      const idPrefix = `${streamId}:`;
      let at = 0;
      for (let newline = log.indexOf('\n'); newline >= 0; newline = log.indexOf('\n', at)) {
        const kind = log[at];
        const text = escaped ? unescape(log.slice(at + 1, newline)) : log.slice(at + 1, newline);
        at = newline + 1;
        if (kind === 'x') return { events, position: String(from + at), end: text };
        const id = idPrefix + (from + at);
        events.push(kind === 'd' ? { data: text, id } : eventOfJson(text, id));
      }
      return { events, position: String(from + at) };
    },
    async exists(streamId, position) {
      const key = keys(streamId).events;
      const found = await script<number>(CHECK, [key], position);
      if (found === -1) throw new InvalidEventIdError(neverIssued(streamId, position));
      return found === 1;
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
      let shared = listeners.get(channel);
      if (!shared) {
        const each = new Set<(notice: Notice) => void>();
        // Bounded too: while Redis is down a client may hold the subscription back for the whole outage.
        const subscribed = bounded('SUBSCRIBE', () =>
          link.subscribe(channel, (message) => each.forEach((listen) => listen(message as Notice))),
        );
        listeners.set(channel, (shared = { each, subscribed }));
        // A failed subscription is not shared: the next listener tries again.
        subscribed.catch(() => {
          if (listeners.get(channel) === shared) listeners.delete(channel);
        });
      }
      const { each, subscribed } = shared;
      each.add(listener);
      try {
        await subscribed;
      } catch (error) {
        each.delete(listener);
        throw error;
      }
      return () => {
        each.delete(listener);
        if (each.size > 0 || listeners.get(channel) !== shared) return;
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
      const [exists, leased, length, end] = await Promise.all([
        command<number>(key.events, 'EXISTS', key.events),
        command<number>(key.lease, 'EXISTS', key.lease),
        command<number>(key.events, 'STRLEN', key.events),
        command<string | null>(key.ended, 'GET', key.ended),
      ]);
      if (!exists) return { state: 'expired', lastEventId: '' };
      // The last event ends where the end line starts.
      const last = end === null ? length : length - end.length;
      const lastEventId = last > 0 ? `${streamId}:${last}` : '';
      if (end !== null) return { state: stateOfEnd(unescape(end.slice(1, -1))), lastEventId };
      // No end written, and no lease: its producer died and no reader has noticed yet.
      return { state: leased ? 'active' : 'lost', lastEventId };
    },
    async setNote(key, value, ttl) {
      const name = noteKey(key);
      await command(name, 'SET', name, value, 'PX', ttl);
    },
    async getNote(key) {
      const name = noteKey(key);
      return command<string | null>(name, 'GET', name);
    },
    async close() {
      listeners.clear();
      await link.close();
    },
  };
  return createStore(backend, options);
}
