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
