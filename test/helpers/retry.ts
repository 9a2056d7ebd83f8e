/** A retry policy for tests that want reconnects at once and in a fixed order: no jitter, millisecond delays. */
export const fastRetry = { initialDelay: 1, maxDelay: 20, jitter: 0 } as const;
