// @ts-check
// One answer as the store runs it: generated once by the model, whoever reads it. The store stops it
// when nobody has read it for a while (its `abandonAfter`), and says so in its last event.

/** @typedef {import('./chat.mjs').Turn} Turn */

/**
 * The producer of answer `id` to `messages`, as the store runs it once: its id first, then each
 * token, then `[DONE]`; a failure of the model is an `error` event, then `[DONE]`. A stop (from any
 * instance) aborts `signal`, which ends the model's request too.
 * @param {object} init
 * @param {string} init.id
 * @param {Turn[]} init.messages
 * @param {(messages: Turn[], signal: AbortSignal) => AsyncIterable<string>} init.generate
 * @param {Awaited<ReturnType<typeof import('./log.mjs').createRequestLog>>} init.log
 */
export function answerProducer({ id, messages, generate, log }) {
  /** @param {AbortSignal} signal */
  return async function* (signal) {
    // The answer's id comes first, with an id of its own, so even a drop before the first token
    // resumes this answer rather than starting another.
    yield { event: 'answer', data: JSON.stringify({ id }), retry: 1000 };
    let count = 0;
    let failure;
    try {
      for await (const token of generate(messages, signal)) {
        count += 1;
        yield { data: JSON.stringify({ token }) };
      }
    } catch (error) {
      failure = error;
    }
    if (signal.aborted) {
      // The store says why it stopped the answer; a Stop aborts with the platform's AbortError.
      const abandoned = signal.reason instanceof Error && signal.reason.name === 'StreamAbandonedError';
      return log.note(`answer ${id} ${abandoned ? 'abandoned' : 'stopped'} after ${count} tokens`);
    }
    if (failure) {
      log.note(`answer ${id} failed after ${count} tokens`);
      const message = failure instanceof Error ? failure.message : String(failure);
      yield { event: 'error', data: JSON.stringify({ message }) };
    } else log.note(`answer ${id} done after ${count} tokens`);
    yield { data: '[DONE]' };
  };
}
