import { afterAll, afterEach, beforeAll, vi } from 'vitest';
import { createEventServer } from './event-server.js';

/** An msw event server for the tests of one file, reset after each test. */
export function useEventServer(url?: string) {
  const api = createEventServer(url);
  beforeAll(() => api.server.listen({ onUnhandledRequest: 'error' }));
  afterEach(() => {
    api.reset();
    vi.useRealTimers();
  });
  afterAll(() => api.server.close());
  return api;
}

/** Fake only the clock the client uses, so msw and streams keep working. */
export function useFakeClock() {
  vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
}

/** Lets pending promise callbacks and stream reads run. */
export async function settle(rounds = 20): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

/** An AbortController whose signal counts the listeners added to it and not yet removed. */
export function countingSignal() {
  const controller = new AbortController();
  let listeners = 0;
  const { signal } = controller;
  const add = signal.addEventListener.bind(signal);
  const remove = signal.removeEventListener.bind(signal);
  signal.addEventListener = ((...args: Parameters<typeof add>) => {
    listeners += 1;
    add(...args);
  }) as typeof add;
  signal.removeEventListener = ((...args: Parameters<typeof remove>) => {
    listeners -= 1;
    remove(...args);
  }) as typeof remove;
  return { controller, signal, listeners: () => listeners };
}
