// The answers the demo server is generating or has generated, kept under an answer id so a client
// can resume one after a dropped connection or a page reload. Each answer is generated once, by
// the model, whoever is connected; clients subscribe to it from any token on.
import { randomUUID } from 'node:crypto';

/** How long a finished answer can still be resumed. */
const KEEP_MS = 10 * 60_000;
/** How long an answer goes on generating with nobody connected (a reload takes a moment). */
const GRACE_MS = 15_000;

export function createAnswerStore({ onEnd = () => {} } = {}) {
  const answers = new Map();

  function purge(now = Date.now()) {
    for (const [id, answer] of answers) if (answer.endedAt && now - answer.endedAt > KEEP_MS) answers.delete(id);
  }

  /** Starts generating the answer to `messages` with `generate` (an async generator of tokens). */
  function create(messages, generate) {
    purge();
    const answer = {
      id: randomUUID().slice(0, 8),
      tokens: [],
      /** generating, done, stopped (by the user), abandoned (nobody came back), failed */
      state: 'generating',
      error: undefined,
      endedAt: undefined,
      subscribers: new Set(),
      controller: new AbortController(),
      grace: undefined,
    };
    answers.set(answer.id, answer);
    void (async () => {
      try {
        for await (const token of generate(messages, answer.controller.signal)) {
          if (answer.state !== 'generating') break;
          answer.tokens.push(token);
          notify(answer);
        }
        if (answer.state === 'generating') answer.state = 'done';
      } catch (error) {
        if (answer.state === 'generating') {
          answer.state = 'failed';
          answer.error = error instanceof Error ? error.message : String(error);
        }
      }
      answer.endedAt = Date.now();
      clearTimeout(answer.grace);
      onEnd(answer);
      notify(answer);
    })();
    return answer;
  }

  function notify(answer) {
    for (const subscriber of answer.subscribers) subscriber();
  }

  /** Ends the generation now (the model's request is aborted too); `reason` is the answer's final state. */
  function cancel(answer, reason) {
    if (answer.state !== 'generating') return false;
    answer.state = reason;
    answer.controller.abort();
    return true;
  }

  /** Calls `onChange` whenever the answer grows or ends; returns the unsubscribe function. */
  function subscribe(answer, onChange) {
    clearTimeout(answer.grace);
    answer.subscribers.add(onChange);
    return () => {
      answer.subscribers.delete(onChange);
      if (answer.subscribers.size === 0 && answer.state === 'generating') {
        answer.grace = setTimeout(() => cancel(answer, 'abandoned'), GRACE_MS);
        answer.grace.unref?.();
      }
    };
  }

  return { get: (id) => answers.get(id), create, cancel, subscribe };
}
