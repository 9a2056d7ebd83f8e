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
        const seconds = Math.max(0, Math.ceil((status.at - now) / 1000));
        // `attempt` counts requests; the first reconnect is the second request.
        const reconnect = status.attempt - 1;
        return seconds > 0
          ? `reconnecting in ${seconds} s (reconnect ${reconnect})`
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
