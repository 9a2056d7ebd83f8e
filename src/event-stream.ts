import { fetchEvents, type FetchEventsInit } from './iterator.js';
import type { EventSourceMessage } from './types.js';

/**
 * The event stream as a web `ReadableStream`, for code that speaks streams (`pipeThrough`, a
 * `Response` body, a chat transport). Same options and policy as `fetchEvents`, and built on it:
 *
 * - resolves once a connection has opened (after any retries the policy allows), so a 401 or a
 *   `RetryLimitError` before that rejects the promise, as `fetch` does;
 * - resolves `null` when the call ended before a stream opened without failing: a 204, or `signal`
 *   aborted (the library's abort is quiet everywhere);
 * - the stream is pull-based (a read pulls the next event; an unread stream holds the server back),
 *   heals drops inside itself, errors with the typed error of a later fatal failure, and closes when
 *   the server ends it or `signal` aborts; `cancel()` aborts the request.
 *
 * @example
 * const events = await fetchEventStream('/api/chat', { method: 'POST', body });
 * if (events) return new Response(events.pipeThrough(toServerSentEvents()));
 */
export async function fetchEventStream(
  input: RequestInfo | URL,
  init: FetchEventsInit = {},
): Promise<ReadableStream<EventSourceMessage> | null> {
  let opened = () => {};
  const open = new Promise<void>((resolve) => (opened = resolve));
  const events = fetchEvents(input, {
    ...init,
    onopen: async (response) => {
      await init.onopen?.(response);
      opened();
    },
  });
  // The first `next()` sends the request. Events are read only after `onopen`, so whichever settles
  // first says how the call began: it opened, or it ended (done) or failed (rejects) before that.
  let first: Promise<IteratorResult<EventSourceMessage, undefined>> | undefined = events.next();
  const began = await Promise.race([open, first]);
  if (began?.done) return null;
  return new ReadableStream<EventSourceMessage>(
    {
      async pull(controller) {
        const next = first ?? events.next();
        first = undefined;
        const result = await next;
        if (result.done) controller.close();
        else controller.enqueue(result.value);
      },
      async cancel() {
        first = undefined;
        await events.return?.();
      },
    },
    // Nothing is read ahead of the consumer: the next event is pulled when a read asks for it.
    { highWaterMark: 0 },
  );
}
