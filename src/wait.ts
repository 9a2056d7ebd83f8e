/**
 * The one way to wait: resolves once `start`'s `done` is called or `signal` aborts, whichever
 * comes first, and removes every listener and timer either way. `start` begins the wait and
 * returns what undoes it.
 */
export function waitFor(signal: AbortSignal, start: (done: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let settled = false;
    let undo = () => {};
    const done = () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', done);
      undo();
      resolve();
    };
    signal.addEventListener('abort', done);
    undo = start(done);
    // `start` may have finished the wait at once, before `undo` existed.
    if (settled) undo();
  });
}

/** Waits `ms`, or less if `signal` aborts or `until` says to stop early. */
export function delay(ms: number, signal: AbortSignal, until: (done: () => void) => () => void): Promise<void> {
  return waitFor(signal, (done) => {
    // setTimeout fires at once past 2^31-1 ms; a far-off Retry-After must still wait.
    const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
    const stopWatching = until(done);
    return () => {
      clearTimeout(timer);
      stopWatching();
    };
  });
}

/**
 * The value of `pending` (a callback's result, a `fetch` that may ignore its signal), rejecting with
 * the signal's reason as soon as `signal` aborts, as an aborted `fetch` does; a rejection is passed
 * on. What `pending` settles with after an abort is ignored (`onLate` may free it).
 */
export async function unlessAborted<T>(
  pending: T | PromiseLike<T>,
  signal: AbortSignal,
  onLate?: (value: T) => void,
): Promise<T> {
  let stopWaiting = () => {};
  const aborted = waitFor(signal, (done) => ((stopWaiting = done), () => {}));
  try {
    return await Promise.race([
      Promise.resolve(pending).then((value) => {
        if (!signal.aborted) return value;
        onLate?.(value);
        throw signal.reason;
      }),
      aborted.then((): never => {
        throw signal.reason;
      }),
    ]);
  } finally {
    stopWaiting();
  }
}
