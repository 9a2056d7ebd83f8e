// The server's side of the story, streamed to the page with the library itself (a GET with a
// bearer token): every request it saw, and the state of the faults.
import { fetchEventSource, isHttpError } from 'fetch-eventsource';
import { useEffect, useState } from 'react';
import type { LoggedRequest } from '../server/log.mjs';
import { authorized, expireToken } from './token.js';

export type { LoggedRequest };

export interface FaultState {
  drop: boolean;
  unavailable: boolean;
  slow: boolean;
}

export function useServerLog() {
  const [entries, setEntries] = useState<LoggedRequest[]>([]);
  const [faults, setFaults] = useState<FaultState>({ drop: false, unavailable: false, slow: false });
  useEffect(() => {
    const controller = new AbortController();
    void fetchEventSource('/api/requests/stream', {
      signal: controller.signal,
      headers: () => authorized(),
      openWhenHidden: true,
      reconnectOnClose: true,
      // The server sends the whole log again on every connection.
      onopen: () => setEntries([]),
      // A token the server no longer takes (expired, or a restarted server): a new one, a second later.
      onerror: (error) => {
        if (!isHttpError(error) || error.status !== 401) return undefined;
        expireToken();
        return 1000;
      },
      onmessage: (message) => {
        if (message.event === 'faults') setFaults(JSON.parse(message.data) as FaultState);
        else setEntries((list) => [JSON.parse(message.data) as LoggedRequest, ...list].slice(0, 100));
      },
    }).catch(() => {});
    return () => controller.abort();
  }, []);
  return { entries, faults };
}
