// @ts-check
// Where the demo's answers come from: the built-in canned model, or, with LLM_BASE_URL set, any
// OpenAI-compatible streaming `/chat/completions` (Ollama, vLLM, llama.cpp's server, OpenAI), read
// with this library's own `fetchEvents`. Either is an async generator of text tokens that stops
// when `signal` aborts.
import { fetchEvents, isFetchEventSourceError, isHttpError } from 'fetch-eventsource';
import { answerFor, tokenize } from './answers.mjs';

/** @typedef {import('./answers.mjs').Turn} Turn */
/** @typedef {(messages: Turn[], signal: AbortSignal) => AsyncGenerator<string>} Model */

/**
 * Waits `ms`, or less if `signal` aborts; leaves no listener behind.
 * @param {number} ms
 * @param {AbortSignal} signal
 */
function sleep(ms, signal) {
  return /** @type {Promise<void>} */ (
    new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      signal.addEventListener('abort', done, { once: true });
    })
  );
}

/**
 * The canned model: a short "thinking" pause, then one word every `pace` ms (220 ms when `slow()`).
 * @param {{ slow?: () => boolean, pace?: number }} [options]
 * @returns {Model}
 */
export function cannedModel({ slow = () => false, pace = 35 } = {}) {
  return async function* generate(messages, signal) {
    await sleep(300, signal);
    for (const token of tokenize(answerFor(messages))) {
      if (signal.aborted) return;
      yield token;
      await sleep(slow() ? 220 : pace, signal);
    }
  };
}

/**
 * An OpenAI-compatible upstream. Its failures end the answer with an Error whose message says what the
 * upstream said ("upstream 401: Incorrect API key provided") or did ("upstream dropped the connection
 * after 9 events") and never its URL: the page shows the message (a key in a query string would
 * leak); the `cause`, which names it, stays on the server. An upstream that sends nothing for
 * `idleTimeout` ms (15 s) ends the answer too, rather than leaving it open with no word.
 * @param {{ baseUrl: string, apiKey?: string | undefined, model: string, idleTimeout?: number }} upstream
 * @returns {Model}
 */
export function upstreamModel({ baseUrl, apiKey, model, idleTimeout = 15_000 }) {
  return async function* generate(messages, signal) {
    try {
      yield* stream(messages, signal);
    } catch (error) {
      if (signal.aborted) throw error;
      throw new Error(await upstreamReason(error), { cause: error });
    }
  };

  /**
   * @param {Turn[]} messages
   * @param {AbortSignal} signal
   */
  async function* stream(messages, signal) {
    const url = `${baseUrl.replace(/\/+$/, '')}/chat/completions`;
    for await (const message of fetchEvents(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', ...(apiKey ? { Authorization: `Bearer ${apiKey}` } : {}) },
      body: JSON.stringify({ model, messages, stream: true }),
      signal,
      // A billed request: never sent twice. A failure ends the answer with an error event.
      retry: false,
      idleTimeout,
    })) {
      if (message.data === '[DONE]') return;
      const chunk = JSON.parse(message.data);
      if (chunk.error) throw new Error(`upstream error: ${chunk.error.message ?? JSON.stringify(chunk.error)}`);
      const content = chunk.choices?.[0]?.delta?.content;
      if (content) yield content;
    }
  }
}

/**
 * What the upstream said of a failure (its status and its own error message) or what it did, in
 * words of the demo's own: a message of this library names the request's URL, so none is passed on.
 * @param {unknown} error
 */
async function upstreamReason(error) {
  if (isHttpError(error)) {
    const body = await error.response.json().catch(() => null);
    const said = body?.error?.message ?? body?.error ?? body?.message;
    return `upstream ${error.status}${typeof said === 'string' ? `: ${said}` : ''}`;
  }
  if (!isFetchEventSourceError(error)) return error instanceof Error ? error.message : String(error);
  // A failure after events (the request is never re-sent) comes as NotResumableError; its cause says what.
  const { name, events, cause } = /** @type {Error & { events?: number }} */ (error);
  const after = name === 'NotResumableError' ? ` after ${events} event(s)` : '';
  const failure = /** @type {Error & Record<string, unknown>} */ (
    name === 'NotResumableError' && isFetchEventSourceError(cause) ? cause : error
  );
  switch (failure.name) {
    case 'IdleTimeoutError':
      return `upstream sent nothing for ${Number(failure.idleTimeout) / 1000} s${after}`;
    case 'ContentTypeError':
      return `upstream answered ${failure.contentType || 'with no content type'}, not an event stream`;
    case 'NetworkError':
      return after ? `upstream dropped the connection${after}` : 'upstream unreachable';
    default:
      return `upstream failed (${failure.name})${after}`;
  }
}

/**
 * The upstream from LLM_BASE_URL, LLM_API_KEY and LLM_MODEL, or undefined when LLM_BASE_URL is not set.
 * @param {Record<string, string | undefined>} [env]
 */
export function upstreamFromEnv(env = process.env) {
  if (!env.LLM_BASE_URL) return undefined;
  return { baseUrl: env.LLM_BASE_URL, apiKey: env.LLM_API_KEY, model: env.LLM_MODEL ?? 'gpt-4o-mini' };
}
