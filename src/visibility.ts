/**
 * Pausing while the page is hidden, and waiting for the network to come back.
 * Both look up `document` / `navigator` when a call starts, never at import, and do
 * nothing where they are missing (Node, Deno, Bun, workers, server-side rendering).
 */

export interface PageWatch {
  /** True while the stream should not be connected. */
  readonly hidden: boolean;
  /** Calls `listener` on every visibility change; returns the function that stops it. */
  onChange(listener: () => void): () => void;
  /** Resolves once the page is visible or `signal` aborts. */
  whenVisible(signal: AbortSignal): Promise<void>;
  dispose(): void;
}

/**
 * `openWhenHidden` defaults by HTTP semantics: GET and HEAD are safe to re-send, so they
 * pause while hidden; every other method (a billed POST) stays open.
 * Deviation from `@microsoft/fetch-event-source`, which re-sent every stream on a tab switch.
 */
export function pausesWhenHidden(openWhenHidden: boolean | undefined, method: string): boolean {
  return openWhenHidden === undefined ? method === 'GET' || method === 'HEAD' : !openWhenHidden;
}

export function watchPage(pauses: boolean): PageWatch {
  const doc = pauses ? (globalThis as { document?: Document }).document : undefined;
  if (!doc || typeof doc.addEventListener !== 'function') return alwaysVisible;
  const listeners = new Set<() => void>();
  const notify = () => listeners.forEach((listener) => listener());
  doc.addEventListener('visibilitychange', notify);
  return {
    get hidden() {
      return doc.visibilityState === 'hidden';
    },
    onChange(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    whenVisible(signal) {
      return new Promise((resolve) => {
        if (!this.hidden || signal.aborted) return resolve();
        const done = () => {
          if (this.hidden && !signal.aborted) return;
          unwatch();
          signal.removeEventListener('abort', done);
          resolve();
        };
        const unwatch = this.onChange(done);
        signal.addEventListener('abort', done);
      });
    },
    dispose() {
      listeners.clear();
      doc.removeEventListener('visibilitychange', notify);
    },
  };
}

const alwaysVisible: PageWatch = {
  hidden: false,
  onChange: () => () => {},
  whenVisible: () => Promise.resolve(),
  dispose() {},
};

/** Resolves once `navigator.onLine` is not false (an `online` event on `globalThis`), or `signal` aborts. */
export function whenOnline(signal: AbortSignal): Promise<void> {
  const navigator = (globalThis as { navigator?: { onLine?: boolean } }).navigator;
  const target = globalThis as Partial<EventTarget>;
  if (navigator?.onLine !== false || typeof target.addEventListener !== 'function' || signal.aborted) {
    return Promise.resolve();
  }
  return new Promise((resolve) => {
    const done = () => {
      target.removeEventListener?.('online', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    target.addEventListener?.('online', done);
    signal.addEventListener('abort', done);
  });
}
