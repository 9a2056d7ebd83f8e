// What the library decided, for the page's timeline: each attempt, its delay and why, the
// Last-Event-ID sent, fatal or retried, paused, resumed. Written by the streams' callbacks.
import { useSyncExternalStore } from 'react';

export interface TimelineEntry {
  n: number;
  time: string;
  /** Which stream: the chat's POST or the ticker's GET. */
  stream: 'chat' | 'ticker';
  kind: 'attempt' | 'open' | 'event' | 'retry' | 'fatal' | 'end' | 'pause';
  text: string;
}

let entries: TimelineEntry[] = [];
const listeners = new Set<() => void>();

export function addToTimeline(stream: TimelineEntry['stream'], kind: TimelineEntry['kind'], text: string): void {
  const time = new Date().toISOString().slice(11, 23);
  entries = [{ n: (entries[0]?.n ?? 0) + 1, time, stream, kind, text }, ...entries].slice(0, 200);
  for (const listener of listeners) listener();
}

export function useTimeline(): TimelineEntry[] {
  return useSyncExternalStore(
    (listener) => {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    () => entries,
  );
}
