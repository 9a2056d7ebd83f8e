export { fetchEventSource } from './client.js';
export { EventStreamContentType } from './response.js';
export { fetchEvents, type FetchEventsInit } from './iterator.js';
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
export type { EventSourceMessage, FetchEventSourceInit, HeadersContext, RetryInfo, RetryPolicy } from './types.js';
