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
export function delay(
  ms: number,
  signal: AbortSignal,
  until: (done: () => void) => () => void = () => () => {},
): Promise<void> {
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
export function unlessAborted<T>(
  pending: T | PromiseLike<T>,
  signal: AbortSignal,
  onLate?: (value: T) => void,
): Promise<T> {
  // Rejects with what it is given, an Error or not, as fetch does with the signal's reason.
  /* eslint-disable @typescript-eslint/prefer-promise-reject-errors */
  return new Promise<T>((resolve, reject) => {
    // Ends on the abort (which rejects), or once `pending` settled (a reject after that is a no-op).
    void waitFor(signal, (settled) => {
      Promise.resolve(pending).then(
        (value) => {
          if (signal.aborted) onLate?.(value);
          else resolve(value);
          settled();
        },
        (error: unknown) => {
          reject(error);
          settled();
        },
      );
      return () => {};
    }).then(() => reject(signal.reason));
  });
  /* eslint-enable @typescript-eslint/prefer-promise-reject-errors */
}
