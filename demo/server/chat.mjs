// @ts-check
// The chat's routes: POST /api/chat starts an answer or resumes one by Last-Event-ID, POST
// /api/answers/stop ends one. Each answer is generated once, under an id that says which session
// owns it, into fetch-eventsource/server's store; event ids are `<answer id>:<position>`, so a
// Last-Event-ID alone says which answer to resume and where: after a dropped connection (the
// library re-sends the POST) or a page reload (the page passes the id it kept as `lastEventId`).
import { eventStreamResponse, InvalidEventIdError, StreamNotFoundError } from 'fetch-eventsource/server';
import { answerProducer } from './answer.mjs';
import { parseJson, readBody, Refusal, sendJson } from './http.mjs';

/** The longest message the demo takes, in characters. */
export const MAX_MESSAGE = 4000;

/** @typedef {{ role: 'user' | 'assistant', content: string }} Turn */

/**
 * @param {object} deps
 * @param {import('fetch-eventsource/server').ResumableStreamStore} deps.answers
 * @param {ReturnType<typeof import('./tokens.mjs').signedTokens>} deps.tokens
 * @param {Awaited<ReturnType<typeof import('./log.mjs').createRequestLog>>} deps.log
 * @param {Awaited<ReturnType<typeof import('./faults.mjs').createFaults>>} deps.faults
 * @param {(messages: Turn[], signal: AbortSignal) => AsyncIterable<string>} deps.generate
 * @param {string} deps.instance
 */
export function chatRoutes({ answers, tokens, log, faults, generate, instance }) {
  /** Sockets of the answers being streamed now: the "drop" fault cuts them. */
  const streaming = new Set();

  /**
   * Streams an answer's events; an armed "drop" fault cuts the connection after 12 of them.
   * @param {import('node:http').IncomingMessage} request
   * @param {import('node:http').ServerResponse} response
   * @param {AsyncIterable<import('fetch-eventsource/server').ServerEvent>} events
   */
  async function streamAnswer(request, response, events) {
    const web = eventStreamResponse(events);
    response.writeHead(200, {
      ...Object.fromEntries(web.headers),
      'cache-control': 'no-store',
      // The page's timeline says which instance answered.
      'x-demo-instance': instance,
    });
    response.flushHeaders();
    const dropAfter = (await faults.take('drop')) ? 12 : Infinity;
    streaming.add(request.socket);
    let sent = 0;
    try {
      for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (web.body)) {
        if (response.destroyed) break;
        response.write(chunk);
        if (++sent >= dropAfter) return void request.socket.destroy();
      }
      response.end();
    } finally {
      streaming.delete(request.socket);
    }
  }

  // A drop asked on any instance: the one streaming an answer takes the armed fault (one instance
  // does) and cuts what it streams; if none is streaming, the next answer takes it.
  faults.onDrop(() => {
    if (streaming.size === 0) return;
    void faults.take('drop').then((taken) => {
      if (taken) for (const socket of streaming) socket.destroy();
    });
  });

  return {
    routes: {
      /**
       * @param {import('node:http').IncomingMessage} request
       * @param {import('node:http').ServerResponse} response
       */
      'POST /api/chat': async (request, response) => {
        const body = await readBody(request);
        const { session } = tokens.authorize(request);
        if (await faults.take('unavailable')) {
          log.record(request, 503);
          return sendJson(response, 503, { error: 'overloaded, try again shortly' }, { 'retry-after': '2' });
        }
        // The reading ends when the client goes: the response closes.
        const reading = new AbortController();
        response.once('close', () => reading.abort());
        const lastEventId = request.headers['last-event-id'];
        if (typeof lastEventId === 'string') {
          // A Last-Event-ID names the answer and the last event the client has: resume right after it.
          const events = await resume(lastEventId, reading.signal);
          const id = lastEventId.slice(0, lastEventId.lastIndexOf(':'));
          if (!tokens.owns(session, id)) {
            reading.abort();
            throw new Refusal(403, 'this answer belongs to another session');
          }
          log.record(
            request,
            200,
            `resume answer ${id} after position ${lastEventId.slice(id.length + 1)} (its Last-Event-ID)`,
          );
          return streamAnswer(request, response, events);
        }
        const messages = readConversation(body);
        const id = tokens.answerId(session);
        await answers.start(id, answerProducer({ id, messages, generate, log }));
        log.record(request, 200, `new answer ${id}, turn ${messages.filter((m) => m.role === 'user').length}`);
        return streamAnswer(request, response, await answers.read(id, { signal: reading.signal }));
      },

      /**
       * @param {import('node:http').IncomingMessage} request
       * @param {import('node:http').ServerResponse} response
       */
      'POST /api/answers/stop': async (request, response) => {
        const { id } = parseJson(await readBody(request));
        const { session } = tokens.authorize(request);
        if (typeof id !== 'string' || !/^[\w-]{1,64}$/.test(id)) throw new Refusal(400, 'expected { id }');
        if (!tokens.owns(session, id)) throw new Refusal(403, 'this answer belongs to another session');
        // Ends the generation wherever it runs; the producing instance logs how far it got.
        await answers.stop(id);
        log.record(request, 200, `stop answer ${id}`);
        sendJson(response, 200, { id, state: 'stopped' });
      },
    },
  };

  /**
   * The events after `lastEventId`; a 410 when its answer is gone (expired, or kept in the memory of
   * a server that restarted), a 400 when it is not an id of ours.
   * @param {string} lastEventId
   * @param {AbortSignal} signal
   */
  async function resume(lastEventId, signal) {
    try {
      return await answers.resume(lastEventId, { signal });
    } catch (error) {
      if (error instanceof StreamNotFoundError) {
        throw new Refusal(410, 'this answer is gone (the server restarted, or it expired): ask again');
      }
      if (error instanceof InvalidEventIdError) throw new Refusal(400, error.message);
      throw error;
    }
  }
}

/**
 * The conversation of a new answer: `{ messages: [{ role, content }] }` ending with the user's turn
 * (or `{ prompt }`, a single turn).
 * @param {string} body
 * @returns {Turn[]}
 */
export function readConversation(body) {
  const parsed = parseJson(body);
  const messages = typeof parsed.prompt === 'string' ? [{ role: 'user', content: parsed.prompt }] : parsed.messages;
  const valid =
    Array.isArray(messages) &&
    messages.every((m) => (m?.role === 'user' || m?.role === 'assistant') && typeof m.content === 'string');
  if (!valid || messages.at(-1)?.role !== 'user') {
    throw new Refusal(400, 'expected { messages: [{ role, content }] } ending with a user message');
  }
  const last = messages.at(-1).content;
  if (last.trim() === '') throw new Refusal(400, 'empty message');
  if (last.length > MAX_MESSAGE) throw new Refusal(413, `message too long: ${MAX_MESSAGE} characters at most`);
  return messages.map(({ role, content }) => ({ role, content }));
}
