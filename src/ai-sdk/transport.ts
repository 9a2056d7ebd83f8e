import {
  asSchema,
  uiMessageChunkSchema,
  type ChatRequestOptions,
  type ChatTransport,
  type HttpChatTransportInitOptions,
  type UIMessage,
  type UIMessageChunk,
} from 'ai';
import {
  fetchEventStream,
  type EventSourceMessage,
  type FetchEventsInit,
  type RetryInfo,
  type RetryPolicy,
} from 'fetch-eventsource';

/** This library's options a chat transport takes besides the AI SDK's. */
export interface ChatStreamOptions {
  /**
   * The reconnect policy. A chat reconnects fast after a drop: 150–225 ms for the first reconnect
   * (the library's default waits 1–1.3 s), then the usual backoff.
   * @default { initialDelay: 150, jitter: 0.5 }
   */
  retry?: RetryPolicy | false | undefined;
  /** Milliseconds of silence after which the connection counts as dropped and is resumed. */
  idleTimeout?: number | undefined;
  /**
   * Told of each reconnect the transport makes inside an answer (the AI SDK has no status for it),
   * and of each wait for the network or the page (`delay` Infinity): a page can say "reconnecting…".
   */
  onReconnect?: ((info: RetryInfo) => void) | undefined;
  /** Sets `Idempotency-Key` on the POST, so a send cut before its first event is re-sent safely. @default true */
  idempotencyKey?: boolean | string | undefined;
}

export type FetchEventSourceChatTransportOptions<UI_MESSAGE extends UIMessage> =
  HttpChatTransportInitOptions<UI_MESSAGE> & ChatStreamOptions;

type Resolvable<T> = T | PromiseLike<T> | (() => T | PromiseLike<T>);

async function resolve<T>(value: Resolvable<T>): Promise<T> {
  return typeof value === 'function' ? await (value as () => T | PromiseLike<T>)() : await value;
}

function plainHeaders(headers: HeadersInit | undefined): Record<string, string> {
  return Object.fromEntries(new Headers(headers).entries());
}

/** The resume route the AI SDK defines for a chat: `GET ${api}/${chatId}/stream` (query kept last). */
function resumeUrl(api: string, chatId: string): string {
  const query = api.search(/[?#]/);
  const path = query < 0 ? api : api.slice(0, query);
  return `${path.replace(/\/$/, '')}/${encodeURIComponent(chatId)}/stream${query < 0 ? '' : api.slice(query)}`;
}

/**
 * A `ChatTransport` for the AI SDK's `useChat` / `Chat` on `fetchEventStream`: a drop-in for
 * `DefaultChatTransport` (same options, same request and wire format) whose answers survive drops.
 *
 * The wire contract (docs/ai-sdk.md): the answer is an event stream of UI message chunks, one JSON
 * chunk per event, each with an `id:`. When the connection drops mid-answer, the transport resumes
 * it inside the stream the chat reads: `GET ${api}/${chatId}/stream` with `Last-Event-ID`, never a
 * second POST, so the chat never sees the drop and the model never runs twice. A POST cut before its
 * first event is re-sent with the same `Idempotency-Key`, so the server attaches to the answer it
 * already started. `reconnectToStream` (what `resume: true` calls on mount) is the same GET without
 * `Last-Event-ID`: the chat's running answer from its start, or `null` on a 204.
 *
 * Errors: a fatal answer (a 401, a 4xx, a wrong content type) rejects with an `Error` whose `cause`
 * is the library's typed error (`HttpError` …), after one request; a drop that cannot be resumed (the
 * server sent no ids) is a `NotResumableError`, never a second answer. The store's closing `error`
 * event becomes the AI SDK's `error` chunk. Chunks are checked with the `ai` package's own schema.
 */
export class FetchEventSourceChatTransport<UI_MESSAGE extends UIMessage> implements ChatTransport<UI_MESSAGE> {
  /** `reconnectToStream` replays the answer from its start: the chat resets the message first. */
  readonly resumeStreamIsReplay = true;
  private readonly options: FetchEventSourceChatTransportOptions<UI_MESSAGE>;
  private readonly api: string;

  constructor(options: FetchEventSourceChatTransportOptions<UI_MESSAGE> = {}) {
    this.options = options;
    this.api = options.api ?? '/api/chat';
  }

  async sendMessages({
    abortSignal,
    chatId,
    messages,
    trigger,
    messageId,
    ...request
  }: Parameters<ChatTransport<UI_MESSAGE>['sendMessages']>[0]): Promise<ReadableStream<UIMessageChunk>> {
    const base = await this.base(request);
    const { body, headers, credentials } = base;
    const prepared = await this.options.prepareSendMessagesRequest?.({
      api: this.api,
      id: chatId,
      messages,
      body,
      headers,
      credentials,
      requestMetadata: request.metadata,
      trigger,
      messageId,
    });
    const resume = await this.resumeRequest(chatId, request, base);
    const events = await this.open(prepared?.api ?? this.api, abortSignal, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        ...(prepared?.headers !== undefined ? plainHeaders(prepared.headers) : headers),
      },
      body: JSON.stringify(prepared?.body ?? { ...body, id: chatId, messages, trigger, messageId }),
      // fetch's own default, which the AI SDK leaves to fetch too.
      credentials: prepared?.credentials ?? credentials ?? 'same-origin',
      idempotencyKey: this.options.idempotencyKey ?? true,
      // A drop after the first event resumes by the chat's resume route, not by a second POST.
      request: ({ attempt, lastEventId }) =>
        attempt > 1 && lastEventId
          ? { input: resume.api, method: 'GET', headers: resume.headers, body: null }
          : undefined,
    });
    // A 204, or Stop before the answer began: an answer with nothing in it.
    return events ?? new ReadableStream({ start: (controller) => controller.close() });
  }

  async reconnectToStream({
    chatId,
    abortSignal,
    ...request
  }: Parameters<ChatTransport<UI_MESSAGE>['reconnectToStream']>[0]): Promise<ReadableStream<UIMessageChunk> | null> {
    const resume = await this.resumeRequest(chatId, request, await this.base(request));
    return this.open(resume.api, abortSignal, {
      method: 'GET',
      headers: resume.headers,
      credentials: resume.credentials ?? 'same-origin',
    });
  }

  /** The body, headers and credentials of the transport and of this request, as the AI SDK merges them. */
  private async base(request: ChatRequestOptions) {
    const { body, headers, credentials } = this.options;
    return {
      body: { ...(await resolve(body ?? {})), ...request.body } as Record<string, unknown>,
      headers: { ...plainHeaders(await resolve(headers ?? {})), ...plainHeaders(request.headers) },
      credentials: credentials === undefined ? undefined : await resolve(credentials),
    };
  }

  /** The resume route's request (`prepareReconnectToStreamRequest`'s, if given), from the resolved `base`. */
  private async resumeRequest(
    chatId: string,
    request: ChatRequestOptions,
    { body, headers, credentials }: Awaited<ReturnType<FetchEventSourceChatTransport<UI_MESSAGE>['base']>>,
  ) {
    const prepared = await this.options.prepareReconnectToStreamRequest?.({
      api: this.api,
      id: chatId,
      body,
      headers,
      credentials,
      requestMetadata: request.metadata,
    });
    return {
      api: prepared?.api ?? resumeUrl(this.api, chatId),
      headers: prepared?.headers !== undefined ? plainHeaders(prepared.headers) : headers,
      credentials: prepared?.credentials ?? credentials,
    };
  }

  private async open(
    url: string,
    signal: AbortSignal | undefined,
    init: FetchEventsInit,
  ): Promise<ReadableStream<UIMessageChunk> | null> {
    const { retry = { initialDelay: 150, jitter: 0.5 }, idleTimeout, onReconnect } = this.options;
    let events: ReadableStream<EventSourceMessage> | null;
    try {
      events = await fetchEventStream(url, {
        ...init,
        fetch: this.options.fetch,
        signal,
        retry,
        idleTimeout,
        onretry: onReconnect,
      });
    } catch (error) {
      throw chatError(error);
    }
    return events && toChunks(events);
  }
}

/**
 * The chat's error: the typed error's message, and the typed error as its `cause` (a schema's
 * `TypeValidationError` is the AI SDK's own, passed on as it is).
 */
function chatError(error: unknown): Error {
  if (error instanceof Error && error.name === 'AI_TypeValidationError') return error;
  return new Error(error instanceof Error ? error.message : String(error), { cause: error });
}

/**
 * Events to checked UI message chunks, pulled one at a time; the store's closing `error` event to an
 * `error` chunk; a later fatal failure errors the stream as `chatError` does.
 */
function toChunks(events: ReadableStream<EventSourceMessage>): ReadableStream<UIMessageChunk> {
  const schema = asSchema(uiMessageChunkSchema);
  const reader = events.getReader();
  async function nextChunk(): Promise<UIMessageChunk | undefined> {
    for (;;) {
      const { done, value: event } = await reader.read();
      if (done) return undefined;
      // The AI SDK's own end marker (createUIMessageStreamResponse writes it): nothing to pass on.
      if (event.data === '[DONE]') continue;
      if (event.event === 'error') return { type: 'error', errorText: storeErrorText(event.data) };
      const result = await schema.validate!(JSON.parse(event.data));
      if (!result.success) throw result.error;
      return result.value;
    }
  }
  return new ReadableStream<UIMessageChunk>(
    {
      async pull(controller) {
        try {
          const chunk = await nextChunk();
          if (chunk) controller.enqueue(chunk);
          else controller.close();
        } catch (error) {
          controller.error(chatError(error));
          await reader.cancel().catch(() => {});
        }
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/** The message of a store's `error` event (`{"error": name, "message": …}`), or its data as it is. */
function storeErrorText(data: string): string {
  try {
    const { message } = JSON.parse(data) as { message?: unknown };
    if (typeof message === 'string') return message;
  } catch {
    // Not the store's JSON: the text is the message.
  }
  return data;
}
