// @ts-check
// The "Break it" buttons: faults this instance injects into its own answers, and their state, which
// the page shows on the buttons (slow on, drop armed, 503 armed) as it changes.

/** @typedef {{ drop: boolean, unavailable: boolean, slow: boolean }} FaultState */

export function createFaults() {
  /** @type {FaultState} */
  const state = { drop: false, unavailable: false, slow: false };
  /** @type {Set<(state: FaultState) => void>} */
  const watchers = new Set();
  const changed = () => {
    for (const watcher of watchers) watcher({ ...state });
  };
  return {
    state,
    /**
     * Arms `name` (drop, unavailable) or flips it (slow).
     * @param {'drop' | 'unavailable' | 'slow'} name
     */
    set(name, value = name === 'slow' ? !state.slow : true) {
      state[name] = value;
      changed();
    },
    /**
     * True if `name` was armed, which disarms it: each armed fault fires once.
     * @param {'drop' | 'unavailable'} name
     */
    take(name) {
      if (!state[name]) return false;
      state[name] = false;
      changed();
      return true;
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
