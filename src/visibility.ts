/**
 * Pausing while the page is hidden, and waiting for the network to come back. The document and
 * the online source are parameters that default to the globals, looked up when a call starts,
 * never at import; where they are missing (Node, Deno, Bun, workers, server-side rendering)
 * nothing pauses and nothing waits.
 */

/** What the page watcher needs of `document`. */
export interface VisibilitySource {
  readonly visibilityState: string;
  addEventListener(type: 'visibilitychange', listener: (event?: { type: string }) => void): void;
  removeEventListener(type: 'visibilitychange', listener: (event?: { type: string }) => void): void;
}

/** What the online wait needs: `navigator.onLine`, and the target of `online` events (the global). */
export interface OnlineSource {
  navigator?: { onLine?: boolean } | undefined;
  addEventListener?(type: 'online', listener: (event?: { type: string }) => void): void;
  removeEventListener?(type: 'online', listener: (event?: { type: string }) => void): void;
}

export interface PageWatch {
  /** True while the page is hidden (never where there is no document). */
  readonly hidden: boolean;
  /** True while `navigator.onLine` is false (and an `online` event can say when that ends). */
  readonly offline: boolean;
  /**
   * Calls `listener` on every `online` event and, when `visibility` (a request that pauses while
   * hidden), every visibility change; returns the function that stops it.
   */
  onChange(listener: (event?: { type: string }) => void, visibility: boolean): () => void;
}

/**
 * Watches `doc` for its visibility (whether a hidden page pauses a request is each attempt's to say),
 * and `network` for `navigator.onLine` and its `online` event.
 */
export function watchPage(
  doc = (globalThis as { document?: VisibilitySource }).document,
  network: OnlineSource = globalThis,
): PageWatch {
  const watched = typeof doc?.addEventListener === 'function' ? doc : undefined;
  // (Read through `watched`: without a document to listen to, a page never counts as hidden.)
  return {
    get hidden() {
      return watched?.visibilityState === 'hidden';
    },
    get offline() {
      return network.navigator?.onLine === false && typeof network.addEventListener === 'function';
    },
    onChange(listener, visibility) {
      const target = visibility ? watched : undefined;
      target?.addEventListener('visibilitychange', listener);
      network.addEventListener?.('online', listener);
      return () => {
        target?.removeEventListener('visibilitychange', listener);
        network.removeEventListener?.('online', listener);
      };
    },
  };
}
