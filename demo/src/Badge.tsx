import type { StreamStatus } from 'fetch-eventsource/react';
import { useNow } from './hooks.js';

/** A stream's state in a word or two; a reconnect counts down to its request. */
export function Badge({
  status,
  paused = false,
  failure = null,
}: {
  status: StreamStatus;
  paused?: boolean;
  failure?: string | null;
}) {
  const now = useNow(status.state === 'reconnecting');
  if (paused) {
    return (
      <span className="badge paused" data-testid="badge">
        paused (tab hidden)
      </span>
    );
  }
  const text = (() => {
    switch (status.state) {
      case 'idle':
        return 'idle';
      case 'connecting':
        return 'connecting…';
      case 'open':
        return 'open';
      case 'reconnecting': {
        // `attempt` counts requests; the first reconnect is the second request.
        const reconnect = status.attempt - 1;
        // The library waits for the network or the page, not for a time.
        if (status.reason === 'offline') return `waiting for the network (reconnect ${reconnect})`;
        if (status.reason === 'hidden') return `waiting for the page to be shown (reconnect ${reconnect})`;
        const seconds = Math.max(0, (status.at - now) / 1000);
        // Tenths under 10 s: a Retry-After of 2 s plus its jitter waits 2.6 s, not a rounded-up "3 s".
        const left = seconds < 10 ? seconds.toFixed(1) : String(Math.round(seconds));
        return seconds > 0
          ? `reconnecting in ${left} s (reconnect ${reconnect})`
          : `reconnecting (reconnect ${reconnect})`;
      }
      case 'done':
        return 'done';
      case 'stopped':
        return 'stopped';
      case 'failed':
        return `failed: ${failure ?? '…'}`;
    }
  })();
  return (
    <span className={`badge ${status.state}`} data-testid="badge">
      {text}
    </span>
  );
}
