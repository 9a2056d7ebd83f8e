/**
 * Every error this library creates extends this class, so one
 * `instanceof FetchEventSourceError` (or {@link isFetchEventSourceError}, which also
 * works across realms) catches them all. Messages never contain header values.
 */
export class FetchEventSourceError extends Error {
  static {
    // On the prototype, as the platform's errors name themselves (`TypeError.prototype.name`), so an
    // instance of a subclass carries both names: its own field and this one down its prototype chain.
    // The guards below look along that chain: no list of the subclasses' names to keep in step.
    this.prototype.name = 'FetchEventSourceError';
  }
}

/**
 * The server answered with a status that does not open a stream.
 * `response` is left unread: read its error body (`await error.response.json()`)
 * or cancel it (`error.response.body?.cancel()`).
 */
export class HttpError extends FetchEventSourceError {
  override name = 'HttpError' as const;
  declare readonly status: number;
  declare readonly response: Response;
  /** Milliseconds the server asked us to wait (`Retry-After` on 429/503), if it did. */
  declare readonly retryAfter: number | undefined;

  constructor(response: Response, label: string, retryAfter?: number) {
    super(`${response.status}${response.statusText ? ` ${response.statusText}` : ''} from ${label}`);
    this.status = response.status;
    hideResponse(this, response);
    this.retryAfter = retryAfter;
  }
}

/** A 2xx response whose `Content-Type` is not `text/event-stream`. */
export class ContentTypeError extends FetchEventSourceError {
  override name = 'ContentTypeError' as const;
  declare readonly contentType: string;
  declare readonly response: Response;

  constructor(response: Response, label: string) {
    const contentType = response.headers.get('content-type') ?? '';
    super(`expected text/event-stream from ${label}, got ${contentType ? `"${contentType}"` : 'no Content-Type'}`);
    this.contentType = contentType;
    hideResponse(this, response);
  }
}

/** The request failed or the connection dropped before the stream ended cleanly. `cause` is what the platform threw. */
export class NetworkError extends FetchEventSourceError {
  override name = 'NetworkError' as const;

  constructor(what: 'could not connect to' | 'connection dropped while reading', label: string, cause: unknown) {
    super(`${what} ${label}`, { cause });
  }
}

/** More consecutive failures than `retry.maxRetries`; `cause` is the last one. */
export class RetryLimitError extends FetchEventSourceError {
  override name = 'RetryLimitError' as const;
  declare readonly failures: number;

  constructor(failures: number, label: string, cause: unknown) {
    super(`gave up on ${label} after ${failures} consecutive failures`, { cause });
    this.failures = failures;
  }
}

/**
 * The connection of a request that is not safe to send again (a `POST`) dropped after the stream
 * delivered events, and the server never sent an event id to resume from: sending it again would
 * start the stream over (a second, different answer from a model) after the half already delivered.
 * Fatal unless `onerror` returns a delay to retry on purpose. `cause` is the drop.
 */
export class NotResumableError extends FetchEventSourceError {
  override name = 'NotResumableError' as const;
  /** Events the attempt had delivered when its connection dropped. */
  declare readonly events: number;

  constructor(events: number, label: string, cause: unknown) {
    super(`${label} dropped after ${events} event(s) and sent no id to resume from`, { cause });
    this.events = events;
  }
}

/** One event grew past `maxEventSize` characters before it ended. Fatal: a retry would meet it again. */
export class EventTooLargeError extends FetchEventSourceError {
  override name = 'EventTooLargeError' as const;
  declare readonly maxEventSize: number;

  constructor(maxEventSize: number, label: string) {
    super(`an event from ${label} exceeded maxEventSize (${maxEventSize} characters)`);
    this.maxEventSize = maxEventSize;
  }
}

/** No byte arrived for `idleTimeout` ms. Retried like a dropped connection. */
export class IdleTimeoutError extends FetchEventSourceError {
  override name = 'IdleTimeoutError' as const;
  declare readonly idleTimeout: number;

  constructor(idleTimeout: number, label: string) {
    super(`no data from ${label} for ${idleTimeout} ms`);
    this.idleTimeout = idleTimeout;
  }
}

/**
 * `response` is there to read, but not enumerable: logging the error (`util.inspect`, an error
 * tracker walking its fields) must not print the response's full URL, query and all.
 */
function hideResponse(error: Error, response: Response): void {
  // (A defined property is not enumerable, writable nor configurable unless it says so.)
  Object.defineProperty(error, 'response', { value: response });
}

/**
 * True for any error of this library, also one from another realm or a duplicated bundle (the
 * ESM and CommonJS builds loaded side by side): there `instanceof` fails, so the guard looks for
 * the class's name along the value's prototype chain.
 */
export function isFetchEventSourceError(value: unknown): value is FetchEventSourceError {
  return isErrorType(value, FetchEventSourceError, 'FetchEventSourceError');
}

/** True for an {@link HttpError}, also one from another realm or a duplicated bundle. */
export function isHttpError(value: unknown): value is HttpError {
  return isErrorType(value, HttpError, 'HttpError');
}

function isErrorType(value: unknown, type: abstract new (...args: never[]) => Error, name: string): boolean {
  if (value instanceof type) return true;
  // A subclass's own name is on the instance (a field), the family's on its prototype.
  for (let link = value; typeof link === 'object' && link !== null; link = Object.getPrototypeOf(link)) {
    if (Object.hasOwn(link, 'name') && (link as Error).name === name) return true;
  }
  return false;
}
