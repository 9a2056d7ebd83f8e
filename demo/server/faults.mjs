// @ts-check
// The "Break it" buttons: faults injected into the answers, and their state, which the page shows on
// the buttons (slow on, drop armed, 503 armed) as it changes, plus the token cut-off of "Expire the
// token". They are state of the deployment: in one instance's memory, or, with Redis (`npm run
// demo:cluster`), in a Redis hash every instance reads, so a button works whichever instance the
// round-robin sends it to, and a message tells every instance when it changed.

/** @typedef {{ drop: boolean, unavailable: boolean, slow: boolean, validFrom: number }} FaultState */
/** @typedef {{ client: import('redis').RedisClientType, subscriber: import('redis').RedisClientType }} Redis */

const KEY = 'demo:faults';
const CHANNEL = 'demo:faults:changed';

// KEYS: the faults. ARGV: a fault. 1 if it was armed (it is disarmed now): each armed fault fires once,
// on one instance.
const TAKE = `if redis.call('HGET', KEYS[1], ARGV[1]) ~= '1' then return 0 end
redis.call('HSET', KEYS[1], ARGV[1], '0')
return 1`;

/**
 * @param {Redis | undefined} redis
 */
export async function createFaults(redis) {
  /** @type {FaultState} What this instance knows of the state: the deployment's, kept current by messages. */
  const state = { drop: false, unavailable: false, slow: false, validFrom: 0 };
  /** @type {Set<(state: FaultState) => void>} */
  const watchers = new Set();
  /** @type {Set<() => void>} */
  const dropListeners = new Set();
  const changed = () => {
    for (const watcher of watchers) watcher({ ...state });
  };

  /** Reads the deployment's state into `state`. */
  async function load() {
    if (!redis) return;
    const stored = await redis.client.hGetAll(KEY);
    state.drop = stored.drop === '1';
    state.unavailable = stored.unavailable === '1';
    state.slow = stored.slow === '1';
    state.validFrom = Number(stored.validFrom ?? 0);
    changed();
  }
  /** Tells every instance (this one too) that the state changed, or that a drop was asked. */
  const announce = async (/** @type {'changed' | 'drop'} */ what) => {
    if (redis) await redis.client.publish(CHANNEL, what);
    else if (what === 'changed') changed();
    else for (const listener of dropListeners) listener();
  };
  if (redis) {
    await load();
    await redis.subscriber.subscribe(CHANNEL, (message) => {
      if (message === 'drop') for (const listener of dropListeners) listener();
      void load().catch(() => {});
    });
  }

  return {
    state,
    /**
     * Arms `name` (drop, unavailable), flips it (slow), or moves the token cut-off (validFrom).
     * @param {'drop' | 'unavailable' | 'slow' | 'validFrom'} name
     * @param {boolean | number} [value]
     */
    async set(name, value = name === 'slow' ? !state.slow : true) {
      if (redis) await redis.client.hSet(KEY, name, typeof value === 'number' ? String(value) : value ? '1' : '0');
      else Object.assign(state, { [name]: value });
      await announce('changed');
    },
    /**
     * True if `name` was armed, which disarms it: each armed fault fires once, on one instance.
     * @param {'drop' | 'unavailable'} name
     */
    async take(name) {
      if (!redis) {
        if (!state[name]) return false;
        state[name] = false;
        changed();
        return true;
      }
      const taken = (await redis.client.eval(TAKE, { keys: [KEY], arguments: [name] })) === 1;
      if (taken) await announce('changed');
      return taken;
    },
    /**
     * Arms a drop and tells every instance: the one streaming an answer takes it at once (see
     * `onDrop`); if none is, the next answer does.
     */
    async drop() {
      await this.set('drop', true);
      await announce('drop');
    },
    /**
     * Calls `listener` when a drop is asked, on any instance.
     * @param {() => void} listener
     */
    onDrop(listener) {
      dropListeners.add(listener);
    },
    /**
     * Calls `watcher` with the state now and at every change; returns what stops it.
     * @param {(state: FaultState) => void} watcher
     */
    watch(watcher) {
      watcher({ ...state });
      watchers.add(watcher);
      return () => void watchers.delete(watcher);
    },
  };
}
