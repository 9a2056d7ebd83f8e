// @ts-check
// The routes of the /ai-sdk page: the AI SDK's chat protocol on `fetch-eventsource/ai-sdk`'s route
// helpers, over the demo's store and canned model, for two chats side by side (one on the AI SDK's
// DefaultChatTransport, one on FetchEventSourceChatTransport). Drop cuts every answer streaming now,
// both chats' at once, as a network would.
//   POST   /api/ai-sdk/chat               an answer (chatAnswers.respond)
//   GET    /api/ai-sdk/chat/<id>/stream   resume it (chatAnswers.resume)
//   POST   /api/ai-sdk/drop               cut the answers streaming now
import { Readable } from 'node:stream';
import { createUIMessageStream } from 'ai';
import { chatAnswers } from 'fetch-eventsource/ai-sdk';
import { sendJson } from './http.mjs';

/** @typedef {import('node:http').IncomingMessage} IncomingMessage */
/** @typedef {import('node:http').ServerResponse} ServerResponse */

/**
 * @param {object} deps
 * @param {import('fetch-eventsource/server').ResumableStreamStore} deps.answers
 * @param {(messages: Array<{ role: 'user' | 'assistant', content: string }>, signal: AbortSignal) => AsyncIterable<string>} deps.generate
 */
export function aiSdkRoutes({ answers, generate }) {
  // The page has no users: every visitor is the same caller. Chat ids are random per tab.
  const chats = chatAnswers({ store: answers });
  /** Sockets of the answers streaming now: Drop cuts them. */
  const streaming = new Set();

  /**
   * The canned model's answer to the chat's last user message, as the AI SDK's UI message stream.
   * @param {Array<{ role: string, parts: Array<{ type: string, text?: string }> }>} messages
   * @param {AbortSignal} signal
   */
  function answerTo(messages, signal) {
    const turns = messages.map((message) => ({
      role: /** @type {'user' | 'assistant'} */ (message.role === 'user' ? 'user' : 'assistant'),
      content: message.parts.map((part) => part.text ?? '').join(''),
    }));
    return createUIMessageStream({
      execute: async ({ writer }) => {
        writer.write({ type: 'text-start', id: 'answer' });
        for await (const token of generate(turns, signal))
          writer.write({ type: 'text-delta', id: 'answer', delta: token });
        writer.write({ type: 'text-end', id: 'answer' });
      },
    });
  }

  /**
   * Runs a route helper on the request as a web Request, and writes its Response back.
   * @param {IncomingMessage} incoming
   * @param {ServerResponse} outgoing
   * @param {(request: Request) => Promise<Response>} handle
   */
  async function serve(incoming, outgoing, handle) {
    const gone = new AbortController();
    outgoing.once('close', () => gone.abort());
    const method = incoming.method ?? 'GET';
    const request = new Request(new URL(incoming.url ?? '/', 'http://demo'), {
      method,
      headers: /** @type {Record<string, string>} */ (incoming.headers),
      body: method === 'GET' ? null : /** @type {ReadableStream} */ (Readable.toWeb(incoming)),
      signal: gone.signal,
      // @ts-expect-error -- Node's fetch needs `duplex` for a streamed body; the DOM types lack it
      duplex: 'half',
    });
    const response = await handle(request);
    outgoing.writeHead(response.status, Object.fromEntries(response.headers));
    if (!response.body) return void outgoing.end();
    streaming.add(incoming.socket);
    try {
      for await (const chunk of /** @type {AsyncIterable<Uint8Array>} */ (response.body)) {
        if (outgoing.destroyed) return;
        outgoing.write(chunk);
      }
      outgoing.end();
    } finally {
      streaming.delete(incoming.socket);
    }
  }

  return {
    /** A resume route, for the server to match by pattern: `/api/ai-sdk/chat/<id>/stream`. */
    resume: /** @type {(request: IncomingMessage, response: ServerResponse, chatId: string) => Promise<void>} */ (
      (incoming, outgoing, chatId) => serve(incoming, outgoing, (request) => chats.resume(request, chatId))
    ),
    routes: {
      /** @param {IncomingMessage} incoming @param {ServerResponse} outgoing */
      'POST /api/ai-sdk/chat': (incoming, outgoing) =>
        serve(incoming, outgoing, async (request) => {
          const { id, messages } = /** @type {{ id?: unknown, messages?: unknown }} */ (await request.json());
          if (typeof id !== 'string' || !Array.isArray(messages)) {
            return Response.json({ error: 'expected { id, messages }' }, { status: 400 });
          }
          return chats.respond(request, id, (signal) => answerTo(messages, signal));
        }),
      /** @param {IncomingMessage} _incoming @param {ServerResponse} outgoing */
      'POST /api/ai-sdk/drop': (_incoming, outgoing) => {
        const cut = streaming.size;
        for (const socket of streaming) socket.destroy();
        sendJson(outgoing, 200, { cut });
      },
    },
  };
}
