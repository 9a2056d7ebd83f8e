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
  /** True while the stream should not be connected: it pauses while hidden, and the page is. */
  readonly hidden: boolean;
  /** True while `navigator.onLine` is false (and an `online` event can say when that ends). */
  readonly offline: boolean;
  /** Calls `listener` on every visibility change and `online` event; returns the function that stops it. */
  onChange(listener: (event?: { type: string }) => void): () => void;
}

/**
 * Watches `doc` when the stream `pauses` while hidden (otherwise the page counts as always
 * visible), and `network` for `navigator.onLine` and its `online` event.
 */
export function watchPage(
  pauses: boolean,
  doc = (globalThis as { document?: VisibilitySource }).document,
  network: OnlineSource = globalThis,
): PageWatch {
  const watched = pauses && typeof doc?.addEventListener === 'function' ? doc : undefined;
  return {
    get hidden() {
      return watched?.visibilityState === 'hidden';
    },
    get offline() {
      return network.navigator?.onLine === false && typeof network.addEventListener === 'function';
    },
    onChange(listener) {
      watched?.addEventListener('visibilitychange', listener);
      network.addEventListener?.('online', listener);
      return () => {
        watched?.removeEventListener('visibilitychange', listener);
        network.removeEventListener?.('online', listener);
      };
    },
  };
}
