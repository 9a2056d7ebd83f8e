import { fetchEventSource, isHttpError, type EventSourceMessage, type FetchEventSourceInit } from 'fetch-eventsource';
import { useCallback, useEffect, useRef, useState } from 'react';

export type StreamStatus =
  | { state: 'idle' }
  | { state: 'connecting' }
  | { state: 'open' }
  | { state: 'reconnecting'; at: number; attempt: number }
  | { state: 'done' }
  | { state: 'stopped' }
  | { state: 'failed'; reason: string };

type StreamInit = Omit<FetchEventSourceInit, 'signal' | 'onmessage'>;

/**
 * A stream as React state: `start` opens it (aborting the previous one), `stop` aborts it,
 * and unmounting aborts it too, so no request outlives the component.
 * This is the hook the README recommends, and the one the end-to-end tests drive.
 */
export function useEventStream(onMessage: (message: EventSourceMessage) => void) {
  const [status, setStatus] = useState<StreamStatus>({ state: 'idle' });
  const controller = useRef<AbortController | null>(null);
  const latestOnMessage = useRef(onMessage);
  latestOnMessage.current = onMessage;

  const stop = useCallback(() => controller.current?.abort(), []);

  const start = useCallback((input: string, init: StreamInit = {}) => {
    controller.current?.abort();
    const own = new AbortController();
    controller.current = own;
    let attempt = 1;
    setStatus({ state: 'connecting' });
    fetchEventSource(input, {
      ...init,
      signal: own.signal,
      onopen: (response) => {
        setStatus({ state: 'open' });
        return init.onopen?.(response);
      },
      onmessage: (message) => latestOnMessage.current(message),
      onretry: (info) => {
        attempt += 1;
        setStatus({ state: 'reconnecting', at: Date.now() + info.delay, attempt });
        init.onretry?.(info);
      },
    }).then(
      () => setStatus(own.signal.aborted ? { state: 'stopped' } : { state: 'done' }),
      async (error: unknown) => setStatus({ state: 'failed', reason: await describe(error) }),
    );
  }, []);

  useEffect(() => () => controller.current?.abort(), []);
  return { status, start, stop };
}

/** "401 Unauthorized: token expired": the status and the server's own JSON error, when it sent one. */
async function describe(error: unknown): Promise<string> {
  if (!isHttpError(error)) return error instanceof Error ? error.message : String(error);
  const body = (await error.response.json().catch(() => null)) as { error?: string } | null;
  return `${error.status} ${error.response.statusText}${body?.error ? `: ${body.error}` : ''}`;
}
