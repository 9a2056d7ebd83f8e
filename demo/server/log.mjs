// @ts-check
// The request log the page shows beside the chat: what the server saw of every API request, and
// what happened to each answer. With Redis, every instance's lines go through one channel, so each
// instance's log (and the page) shows what all of them served.

/**
 * @typedef {object} LoggedRequest
 * @property {number} n
 * @property {string} instance Which server instance served it (INSTANCE; "demo" by default).
 * @property {string} time
 * @property {string} method '' for a note about an answer rather than a request.
 * @property {string} path
 * @property {string | null} [lastEventId]
 * @property {number | ''} status
 * @property {string} note
 */

const CHANNEL = 'demo:log';
const KEPT = 500;

/**
 * @param {{ instance: string, redis?: { client: import('redis').RedisClientType, subscriber: import('redis').RedisClientType } | undefined }} options
 */
export async function createRequestLog({ instance, redis }) {
  /** @type {LoggedRequest[]} */
  const entries = [];
  /** @type {Set<(entry: LoggedRequest) => void>} */
  const watchers = new Set();
  let sequence = 0;

  /** @param {LoggedRequest} entry */
  function keep(entry) {
    entry.n = ++sequence;
    entries.push(entry);
    if (entries.length > KEPT) entries.shift();
    for (const watcher of watchers) watcher(entry);
  }
  /** @param {Omit<LoggedRequest, 'n' | 'instance' | 'time'>} line */
  function publish(line) {
    const entry = { n: 0, instance, time: new Date().toISOString(), ...line };
    if (redis) redis.client.publish(CHANNEL, JSON.stringify(entry)).catch(() => keep(entry));
    else keep(entry);
  }
  if (redis) await redis.subscriber.subscribe(CHANNEL, (message) => keep(JSON.parse(message)));

  return {
    entries,
    /**
     * A request and how it was answered.
     * @param {import('node:http').IncomingMessage} request
     * @param {number} status
     * @param {string} [note]
     */
    record(request, status, note = '') {
      const lastEventId = request.headers['last-event-id'];
      publish({
        method: request.method ?? '',
        path: new URL(request.url ?? '/', 'http://demo').pathname,
        lastEventId: typeof lastEventId === 'string' ? lastEventId : null,
        status,
        note,
      });
    },
    /**
     * A line that is not a request: what happened to an answer.
     * @param {string} text
     */
    note(text) {
      publish({ method: '', path: '', status: '', note: text });
    },
    /**
     * Calls `watcher` with every entry kept so far, then with each new one; returns what stops it.
     * @param {(entry: LoggedRequest) => void} watcher
     */
    watch(watcher) {
      for (const entry of entries) watcher(entry);
      watchers.add(watcher);
      return () => void watchers.delete(watcher);
    },
  };
}
