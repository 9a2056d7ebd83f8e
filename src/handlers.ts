/**
 * The promises `onmessage` returned. They are not awaited (events keep flowing; `fetchEvents` is the
 * way to get backpressure), but they are watched: the first to reject fails the call as a throw
 * would (`onFailure`), and the call does not resolve before all of them have settled. Without this,
 * an `async onmessage` that throws is an unhandled rejection, which ends a Node process.
 */
export function watchHandlers(onFailure: (error: unknown) => void) {
  let pending = 0;
  // Called when `pending` falls to 0, while `settled()` waits.
  let drained: (() => void) | undefined;
  const settle = () => {
    pending -= 1;
    if (pending === 0) drained?.();
  };
  return {
    /** Takes what `onmessage` returned; anything but a thenable is ignored. */
    watch: (returned: unknown): void => {
      if (typeof (returned as PromiseLike<unknown> | undefined)?.then !== 'function') return;
      pending += 1;
      Promise.resolve(returned).then(settle, (error: unknown) => {
        settle();
        onFailure(error);
      });
    },
    /** Resolves once every watched promise has settled (at once when none is pending). */
    settled: (): Promise<void> => {
      if (pending === 0) return Promise.resolve();
      return new Promise<void>((resolve) => (drained = resolve));
    },
  };
}
