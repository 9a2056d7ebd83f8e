/** What an abortable wait resolves with when the signal aborted first. */
export const ABORTED: unique symbol = Symbol('aborted');

/**
 * The one way to wait: resolves once `start`'s `done` is called or `signal` aborts, whichever
 * comes first, and removes every listener and timer either way. `start` begins the wait and
 * returns what undoes it.
 */
export function waitFor(signal: AbortSignal, start: (done: () => void) => () => void): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    let settled = false;
    let undo: (() => void) | undefined = undefined;
    const done = () => {
      if (settled) return;
      settled = true;
      signal.removeEventListener('abort', done);
      undo?.();
      resolve();
    };
    signal.addEventListener('abort', done, { once: true });
    undo = start(done);
    // `start` may have finished the wait at once, before `undo` existed.
    if (settled) undo();
  });
}

/** Waits `ms`, or less if `signal` aborts or `until` says to stop early. */
export function delay(ms: number, signal: AbortSignal, until?: (done: () => void) => () => void): Promise<void> {
  return waitFor(signal, (done) => {
    // setTimeout fires at once past 2^31-1 ms; a far-off Retry-After must still wait.
    const timer = setTimeout(done, Math.min(ms, 2 ** 31 - 1));
    const stopWatching = until?.(done);
    return () => {
      clearTimeout(timer);
      stopWatching?.();
    };
  });
}

/**
 * The value of `pending` (a callback's promise, a `fetch` that may ignore its signal), or `ABORTED`
 * as soon as `signal` aborts. A value that is not a promise is returned as it is; a rejection is
 * passed on. What `pending` settles with after an abort is ignored (`onLate` may free it).
 */
export async function unlessAborted<T>(
  pending: T | PromiseLike<T>,
  signal: AbortSignal,
  onLate?: (value: T) => void,
): Promise<T | typeof ABORTED> {
  if (!isPromiseLike(pending)) return signal.aborted ? ABORTED : pending;
  let finished = false;
  let outcome: { value: T } | { error: unknown } | undefined;
  await waitFor(signal, (done) => {
    Promise.resolve(pending).then(
      (value) => {
        if (finished) return onLate?.(value);
        outcome = { value };
        done();
      },
      (error: unknown) => {
        if (finished) return;
        outcome = { error };
        done();
      },
    );
    return () => {};
  });
  finished = true;
  if (signal.aborted || outcome === undefined) {
    if (outcome && 'value' in outcome) onLate?.(outcome.value);
    return ABORTED;
  }
  if ('error' in outcome) throw outcome.error;
  return outcome.value;
}

function isPromiseLike<T>(value: T | PromiseLike<T>): value is PromiseLike<T> {
  return typeof (value as { then?: unknown } | null)?.then === 'function';
}
