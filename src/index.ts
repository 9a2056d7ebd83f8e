export { fetchEventSource } from './client.js';
export { EventStreamContentType } from './response.js';
export { fetchEvents, type FetchEventsInit } from './iterator.js';
export { fetchEventStream } from './event-stream.js';
export { EventSource, type EventSourceErrorEvent, type EventSourceInit } from './event-source.js';
export {
  ContentTypeError,
  EventTooLargeError,
  FetchEventSourceError,
  HttpError,
  IdleTimeoutError,
  isFetchEventSourceError,
  isHttpError,
  NetworkError,
  NotResumableError,
  RetryLimitError,
} from './errors.js';
export type {
  AttemptContext,
  AttemptRequest,
  EventSourceMessage,
  FetchEventSourceInit,
  HeadersContext,
  RetryInfo,
  RetryPolicy,
  RetryReason,
} from './types.js';
