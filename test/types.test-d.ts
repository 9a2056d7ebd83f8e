import { describe, expectTypeOf, test } from 'vitest';
import {
  ContentTypeError,
  EventSource,
  fetchEvents,
  fetchEventSource,
  fetchEventStream,
  FetchEventSourceError,
  HttpError,
  isFetchEventSourceError,
  isHttpError,
  type AttemptContext,
  type AttemptRequest,
  type EventSourceMessage,
  type FetchEventSourceInit,
  type FetchEventsInit,
  type HeadersContext,
  type RetryInfo,
  type RetryReason,
} from '../src/index.js';
import { useEventStream, type StreamControls, type StreamStatus } from '../src/react.js';
import { Cluster as IoCluster, Redis as IoRedis } from 'ioredis';
import { createClient, createCluster } from 'redis';
import { createClient as createClient4 } from 'redis4';
import { memoryStore, redisStore, type ResumableStreamStore, type ServerEvent } from '../src/server.js';

// Type tests: vitest's typecheck mode checks them with tsc (`npm run test:types`); they never run.
describe('the public types', () => {
  test('fetchEventSource takes fetch’s input and resolves to void', () => {
    expectTypeOf(fetchEventSource).parameter(0).toEqualTypeOf<RequestInfo | URL>();
    expectTypeOf(fetchEventSource).returns.toEqualTypeOf<Promise<void>>();
  });

  test('the message has string id, event and data, and an optional retry', () => {
    expectTypeOf<EventSourceMessage>().toEqualTypeOf<{
      id: string;
      event: string;
      data: string;
      retry?: number | undefined;
    }>();
  });

  test('headers is any HeadersInit or a function of the attempt', () => {
    expectTypeOf<{ authorization: string }>().toMatchTypeOf<NonNullable<FetchEventSourceInit['headers']>>();
    expectTypeOf<[string, string][]>().toMatchTypeOf<NonNullable<FetchEventSourceInit['headers']>>();
    expectTypeOf<(context: HeadersContext) => Promise<Headers>>().toMatchTypeOf<
      NonNullable<FetchEventSourceInit['headers']>
    >();
    expectTypeOf<HeadersContext>().toEqualTypeOf<{ attempt: number; lastEventId: string }>();
  });

  test('retry is a partial policy or false, and onerror may return a delay', () => {
    expectTypeOf<{ maxRetries: number }>().toMatchTypeOf<NonNullable<FetchEventSourceInit['retry']>>();
    expectTypeOf<false>().toMatchTypeOf<NonNullable<FetchEventSourceInit['retry']>>();
    expectTypeOf<() => number>().toMatchTypeOf<NonNullable<FetchEventSourceInit['onerror']>>();
    expectTypeOf<RetryInfo>().toEqualTypeOf<{
      failures: number;
      delay: number;
      reason: RetryReason;
      step: number;
      jitter: number;
      error: unknown;
      lastEventId: string;
    }>();
    expectTypeOf<'backoff'>().toMatchTypeOf<RetryReason>();
    expectTypeOf<'exponential'>().not.toMatchTypeOf<RetryReason>();
    expectTypeOf<{ minUptime: number }>().toMatchTypeOf<NonNullable<FetchEventSourceInit['retry']>>();
    expectTypeOf<{ minInterval: number }>().toMatchTypeOf<NonNullable<FetchEventSourceInit['retry']>>();
  });

  test('request(context) may change the input, method, body and headers of one attempt, or nothing', () => {
    type Request = NonNullable<FetchEventSourceInit['request']>;
    expectTypeOf<(context: AttemptContext) => { method: 'GET'; input: string }>().toMatchTypeOf<Request>();
    expectTypeOf<(context: AttemptContext) => Promise<AttemptRequest | undefined>>().toMatchTypeOf<Request>();
    expectTypeOf<() => void>().toMatchTypeOf<Request>();
    expectTypeOf<() => { methd: string }>().not.toMatchTypeOf<Request>();
    expectTypeOf<AttemptContext>().toEqualTypeOf<HeadersContext>();
    expectTypeOf<true>().toMatchTypeOf<FetchEventSourceInit['idempotencyKey']>();
    expectTypeOf<'order-42'>().toMatchTypeOf<FetchEventSourceInit['idempotencyKey']>();
  });

  test('onmessage may be async, or return what a push returns', () => {
    type OnMessage = NonNullable<FetchEventSourceInit['onmessage']>;
    expectTypeOf<(message: EventSourceMessage) => Promise<void>>().toMatchTypeOf<OnMessage>();
    expectTypeOf<(message: EventSourceMessage) => number>().toMatchTypeOf<OnMessage>();
  });

  test('no test hook ships on the public options', () => {
    expectTypeOf<FetchEventSourceInit>().not.toHaveProperty('random');
  });

  test('fetchEventStream resolves a ReadableStream of messages, or null', () => {
    expectTypeOf(fetchEventStream).returns.toEqualTypeOf<Promise<ReadableStream<EventSourceMessage> | null>>();
    expectTypeOf(fetchEventStream).parameter(1).toEqualTypeOf<FetchEventsInit | undefined>();
  });

  test('fetchEvents yields messages and takes no onmessage', () => {
    expectTypeOf(fetchEvents).returns.toEqualTypeOf<AsyncIterableIterator<EventSourceMessage>>();
    expectTypeOf<FetchEventsInit>().not.toHaveProperty('onmessage');
  });

  test('the guards narrow unknown errors', () => {
    const error: unknown = undefined;
    if (isHttpError(error)) {
      expectTypeOf(error).toEqualTypeOf<HttpError>();
      expectTypeOf(error.status).toBeNumber();
      expectTypeOf(error.response).toEqualTypeOf<Response>();
    }
    if (isFetchEventSourceError(error)) expectTypeOf(error).toEqualTypeOf<FetchEventSourceError>();
    expectTypeOf<ContentTypeError>().toMatchTypeOf<FetchEventSourceError>();
    expectTypeOf<HttpError['name']>().toEqualTypeOf<'HttpError'>();
  });

  test('EventSource has the native surface', () => {
    expectTypeOf<EventSource>().toMatchTypeOf<EventTarget>();
    expectTypeOf<EventSource['readyState']>().toBeNumber();
    expectTypeOf<EventSource['close']>().toEqualTypeOf<() => void>();
    expectTypeOf(EventSource.CLOSED).toEqualTypeOf<2>();
  });
});

describe('fetch-eventsource/react', () => {
  test('useEventStream: isActive, lastEventId, start() resolving to the final status, resume, throttle, done()', () => {
    type Stream = ReturnType<typeof useEventStream>;
    expectTypeOf<Stream['isActive']>().toEqualTypeOf<boolean>();
    expectTypeOf<Stream['lastEventId']>().toEqualTypeOf<string>();
    expectTypeOf<Stream['start']>().returns.toEqualTypeOf<Promise<StreamStatus>>();
    expectTypeOf<Stream['resume']>().toEqualTypeOf<() => Promise<StreamStatus>>();
    expectTypeOf<Parameters<typeof useEventStream>[0]>().parameter(1).toEqualTypeOf<StreamControls>();
    expectTypeOf<StreamControls['done']>().toEqualTypeOf<() => void>();
    expectTypeOf<NonNullable<Parameters<typeof useEventStream>[1]>>().toHaveProperty('throttle');
    // A handler that takes the message alone still fits.
    expectTypeOf<(message: EventSourceMessage) => void>().toMatchTypeOf<Parameters<typeof useEventStream>[0]>();
  });
});

describe('fetch-eventsource/server', () => {
  test('stores share one interface; events are { data, id?, event?, retry? }', () => {
    expectTypeOf(memoryStore()).toMatchTypeOf<ResumableStreamStore>();
    expectTypeOf<ResumableStreamStore['read']>().returns.toEqualTypeOf<Promise<AsyncIterableIterator<ServerEvent>>>();
    expectTypeOf<{ data: string }>().toMatchTypeOf<ServerEvent>();
    expectTypeOf<{ id: string }>().not.toMatchTypeOf<ServerEvent>();
  });

  test('redisStore takes node-redis and ioredis clients, single and cluster, as the app has them', () => {
    type Client = Parameters<typeof redisStore>[0];
    expectTypeOf<ReturnType<typeof createClient>>().toMatchTypeOf<Client>();
    expectTypeOf<ReturnType<typeof createClient4>>().toMatchTypeOf<Client>();
    expectTypeOf<ReturnType<typeof createCluster>>().toMatchTypeOf<Client>();
    expectTypeOf<IoRedis>().toMatchTypeOf<Client>();
    expectTypeOf<IoCluster>().toMatchTypeOf<Client>();
    expectTypeOf<{ get(key: string): Promise<string> }>().not.toMatchTypeOf<Client>();
  });
});
