// @ts-check
// One answer as the store runs it: generated once by the model, whoever reads it, and stopped when
// nobody has read it for a while.

/** @typedef {import('./chat.mjs').Turn} Turn */

/**
 * The producer of answer `id` to `messages`, as the store runs it once: its id first, then each
 * token, then `[DONE]`; a failure of the model is an `error` event, then `[DONE]`. A stop (from any
 * instance) aborts `signal`, which ends the model's request too.
 * @param {object} init
 * @param {string} init.id
 * @param {Turn[]} init.messages
 * @param {(messages: Turn[], signal: AbortSignal) => AsyncIterable<string>} init.generate
 * @param {import('fetch-eventsource/server').ResumableStreamStore} init.answers
 * @param {ReturnType<typeof import('./store.mjs').countReaders>} init.readers
 * @param {Awaited<ReturnType<typeof import('./log.mjs').createRequestLog>>} init.log
 * @param {number} init.grace Milliseconds an answer goes on generating with nobody reading it.
 */
export function answerProducer({ id, messages, generate, answers, readers, log, grace }) {
  /** @param {AbortSignal} signal */
  return async function* (signal) {
    // The answer's id comes first, with an id of its own, so even a drop before the first token
    // resumes this answer rather than starting another.
    yield { event: 'answer', data: JSON.stringify({ id }), retry: 1000 };
    const abandonment = watchAbandonment(id, { answers, readers, grace });
    let count = 0;
    let failure;
    try {
      for await (const token of generate(messages, signal)) {
        count += 1;
        yield { data: JSON.stringify({ token }) };
      }
    } catch (error) {
      failure = error;
    } finally {
      abandonment.stop();
    }
    if (signal.aborted) {
      return log.note(`answer ${id} ${abandonment.abandoned ? 'abandoned' : 'stopped'} after ${count} tokens`);
    }
    if (failure) {
      log.note(`answer ${id} failed after ${count} tokens`);
      const message = failure instanceof Error ? failure.message : String(failure);
      yield { event: 'error', data: JSON.stringify({ message }) };
    } else log.note(`answer ${id} done after ${count} tokens`);
    yield { data: '[DONE]' };
  };
}

/**
 * Stops answer `id` once nobody has been reading it for `grace` ms, on any instance: no paid tokens
 * for nobody.
 * @param {string} id
 * @param {{ answers: import('fetch-eventsource/server').ResumableStreamStore, readers: ReturnType<typeof import('./store.mjs').countReaders>, grace: number }} deps
 */
function watchAbandonment(id, { answers, readers, grace }) {
  const watch = { abandoned: false, stop: () => clearInterval(timer) };
  /** @type {number | undefined} */
  let emptySince;
  const check = async () => {
    if ((await readers.count(id)) > 0) return void (emptySince = undefined);
    emptySince ??= Date.now();
    if (Date.now() - emptySince < grace || watch.abandoned) return;
    watch.abandoned = true;
    await answers.stop(id);
  };
  const timer = setInterval(() => void check(), Math.min(1000, grace / 3));
  return watch;
}
