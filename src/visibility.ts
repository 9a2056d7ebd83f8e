/**
 * Pausing while the page is hidden, and waiting for the network to come back. The document and
 * the online source are parameters that default to the globals, looked up when a call starts,
 * never at import; where they are missing (Node, Deno, Bun, workers, server-side rendering)
 * nothing pauses and nothing waits.
 */
import { waitFor } from './wait.js';

/** What the page watcher needs of `document`. */
export interface VisibilitySource {
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: () => void): void;
  removeEventListener(type: 'visibilitychange', listener: () => void): void;
}

/** What the online wait needs: `navigator.onLine`, and the target of `online` events (the global). */
export interface OnlineSource {
  navigator?: { onLine?: boolean } | undefined;
  addEventListener?(type: 'online', listener: () => void): void;
  removeEventListener?(type: 'online', listener: () => void): void;
}

export interface PageWatch {
  /** True while the stream should not be connected. */
  readonly hidden: boolean;
  /** Calls `listener` on every visibility change; returns the function that stops it. */
  onChange(listener: () => void): () => void;
}

/** Watches `doc` when the stream `pauses` while hidden; otherwise a page that is always visible. */
export function watchPage(pauses: boolean, doc = (globalThis as { document?: VisibilitySource }).document): PageWatch {
  const watched = pauses && typeof doc?.addEventListener === 'function' ? doc : undefined;
  return {
    get hidden() {
      return watched?.visibilityState === 'hidden';
    },
    onChange(listener) {
      watched?.addEventListener('visibilitychange', listener);
      return () => watched?.removeEventListener('visibilitychange', listener);
    },
  };
}

/** Resolves once `page` is visible or `signal` aborts. */
export function whenVisible(page: PageWatch, signal: AbortSignal): Promise<void> {
  return waitFor(signal, (done) => {
    if (!page.hidden) done();
    return page.onChange(() => !page.hidden && done());
  });
}

/** Resolves once `navigator.onLine` is not false (an `online` event), or `signal` aborts. */
export function whenOnline(signal: AbortSignal, source = globalThis as OnlineSource): Promise<void> {
  return waitFor(signal, (done) => {
    if (source.navigator?.onLine !== false || typeof source.addEventListener !== 'function') done();
    source.addEventListener?.('online', done);
    return () => source.removeEventListener?.('online', done);
  });
}
