import { UI_MESSAGE_STREAM_HEADERS, type UIMessageChunk } from 'ai';
import {
  eventStreamResponse,
  InvalidEventIdError,
  streamIdOf,
  StreamNotFoundError,
  type ResumableStreamStore,
  type ServerEvent,
} from 'fetch-eventsource/server';

/** An answer as the AI SDK makes it: `streamText(...).toUIMessageStream()`, `createUIMessageStream(...)`. */
export type ChatAnswer = ReadableStream<UIMessageChunk> | AsyncIterable<UIMessageChunk>;

export interface ChatAnswersOptions {
  /** Where answers are kept: `memoryStore()` on one process, `redisStore(client)` across replicas. */
  store: ResumableStreamStore;
  /**
   * Who is asking, from the request (a user id from the session, say). An answer belongs to whoever
   * started it: resuming or stopping it as someone else is a 403, and so is starting one in a chat
   * someone else's answer holds. The default, `""` for everyone, suits an app with no users only.
   */
  caller?: ((request: Request) => string | Promise<string>) | undefined;
  /** Milliseconds between heartbeat comments on an idle answer. @default 15000 */
  heartbeat?: number | undefined;
}

/** What a chat's note says: its current answer and who started it. */
interface ChatNote {
  answer: string;
  caller: string;
}

const CHAT_ID = /^[\w-]{1,100}$/;
const IDEMPOTENCY_KEY = /^[\w-]{1,100}$/;

function problem(status: number, message: string): Response {
  return Response.json({ error: message }, { status });
}

/** The AI SDK's chunks as stored events: one JSON chunk per event, then its `[DONE]` marker. */
async function* eventsOf(answer: ChatAnswer): AsyncGenerator<ServerEvent> {
  for await (const chunk of answer as AsyncIterable<UIMessageChunk>) yield { data: JSON.stringify(chunk) };
  yield { data: '[DONE]' };
}

/**
 * What goes on the wire: the stored events, the store's closing `error` event (`{"error", "message"}`)
 * as the AI SDK's own error chunk, so `DefaultChatTransport` shows it as the chat's error rather than
 * failing on a chunk it cannot read.
 */
async function* wireEvents(events: AsyncIterable<ServerEvent>): AsyncGenerator<ServerEvent> {
  for await (const event of events) {
    if (event.event !== 'error') yield event;
    else {
      const { message } = JSON.parse(event.data) as { message: string };
      yield { data: JSON.stringify({ type: 'error', errorText: message }) };
    }
  }
}

/**
 * Route helpers that keep a chat's answers in `store`, so the client's `FetchEventSourceChatTransport`
 * (or `resume: true` on mount) can resume them on any instance, exactly once:
 * - `respond(request, chatId, answer)` for `POST /api/chat`: starts the answer under the chat's id
 *   (the model runs once, whoever is connected) and streams it with ids; a repeat POST with the same
 *   `Idempotency-Key` reads the answer already running instead of starting a second.
 * - `resume(request, chatId)` for `GET /api/chat/[id]/stream`: with `Last-Event-ID`, the rest of that
 *   answer (finished or not); without, the chat's running answer from its start, 204 when none runs.
 * - `stop(request, chatId)` for `DELETE /api/chat/[id]/stream`: stops the chat's answer on the server,
 *   wherever it runs (aborting a fetch only ends that connection).
 * Answers: 400 for a malformed chat id, `Idempotency-Key` or `Last-Event-ID`; 403 for another
 * caller's chat; 410 for an answer that expired.
 */
export function chatAnswers({ store, caller = () => '', heartbeat }: ChatAnswersOptions) {
  const noteOf = async (chatId: string): Promise<ChatNote | null> => {
    const note = await store.getNote(`chat:${chatId}`);
    return note === null ? null : (JSON.parse(note) as ChatNote);
  };
  const stream = (events: AsyncIterable<ServerEvent>) =>
    eventStreamResponse(wireEvents(events), { headers: UI_MESSAGE_STREAM_HEADERS, heartbeat });

  /** The chat's note when `request` may touch it (none yet: null), else the error response. */
  async function checked(request: Request, chatId: string) {
    if (!CHAT_ID.test(chatId)) return { failure: problem(400, 'a chat id is 1 to 100 letters, digits, _ or -') };
    const who = await caller(request);
    const note = await noteOf(chatId);
    if (note && note.caller !== who) return { failure: problem(403, 'this chat belongs to another caller') };
    return { who, note };
  }

  return {
    async respond(
      request: Request,
      chatId: string,
      answer: (signal: AbortSignal) => ChatAnswer | Promise<ChatAnswer>,
    ): Promise<Response> {
      const { failure, who } = await checked(request, chatId);
      if (failure) return failure;
      const key = request.headers.get('idempotency-key');
      if (key !== null && !IDEMPOTENCY_KEY.test(key)) {
        return problem(400, 'an Idempotency-Key is 1 to 100 letters, digits, _ or -');
      }
      // The answer's stream id names its chat, so a Last-Event-ID says which chat it resumes.
      const answerId = `${chatId}.${key ?? crypto.randomUUID()}`;
      const lastEventId = request.headers.get('last-event-id') ?? undefined;
      try {
        const { started, events } = await store.attach(
          answerId,
          async function* (signal) {
            yield* eventsOf(await answer(signal));
          },
          { lastEventId, signal: request.signal },
        );
        if (started) await store.setNote(`chat:${chatId}`, JSON.stringify({ answer: answerId, caller: who }));
        return stream(events);
      } catch (error) {
        if (error instanceof InvalidEventIdError) return problem(400, error.message);
        throw error;
      }
    },

    async resume(request: Request, chatId: string): Promise<Response> {
      const { failure, note } = await checked(request, chatId);
      if (failure) return failure;
      const lastEventId = request.headers.get('last-event-id');
      try {
        if (lastEventId) {
          // The rest of the answer this client was reading, even if it has finished since.
          if (!streamIdOf(lastEventId).startsWith(`${chatId}.`)) {
            return problem(400, `Last-Event-ID "${lastEventId}" is not of chat "${chatId}"`);
          }
          if (!note) return problem(410, 'this chat has no answer any more');
          return stream(await store.resume(lastEventId, { signal: request.signal }));
        }
        if (!note || (await store.state(note.answer)).state !== 'active') return new Response(null, { status: 204 });
        return stream(await store.read(note.answer, { signal: request.signal }));
      } catch (error) {
        if (error instanceof InvalidEventIdError) return problem(400, error.message);
        if (error instanceof StreamNotFoundError) return problem(410, 'this answer expired');
        throw error;
      }
    },

    async stop(request: Request, chatId: string): Promise<Response> {
      const { failure, note } = await checked(request, chatId);
      if (failure) return failure;
      if (note) await store.stop(note.answer);
      return new Response(null, { status: 204 });
    },
  };
}
