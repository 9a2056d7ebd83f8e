import { InvalidEventIdError } from './errors.js';
import { formatEvent, type ServerEvent } from './write.js';

/**
 * Makes the events of one stream. `signal` aborts when the stream is stopped: `stop()`, a cap passed,
 * the stream abandoned, the store lost. When the store stopped it itself, `signal.reason` is an `Error`
 * named as the stream's closing `error` event is (`StreamAbandonedError`, `StreamLimitError`).
 */
export type Producer = (signal: AbortSignal) => AsyncIterable<ServerEvent>;

/** What `open` hands out: the stream's producer, as calls. */
export interface StreamWriter {
  /**
   * Aborts when the stream must stop: `stop()` from anywhere, a cap passed, the store lost. The stream
   * then ends: appends after it, and those not yet stored, are dropped (as a producer's later events are).
   */
  readonly signal: AbortSignal;
  /** Stores one event, in order. A bad event (a CR in its type, say) is a `TypeError` here, and the stream goes on. */
  append(event: ServerEvent): void;
  /**
   * Stores `events` in order, as `append` does, and resolves with their ids once they are stored (for
   * a framework that hands out each event's offset itself). Rejects if the stream stops first; a bad
   * event is a `TypeError` and nothing of the batch is written.
   */
  write(events: ServerEvent[]): Promise<string[]>;
  /** Ends the stream well; resolves once its end is stored. */
  end(): Promise<void>;
  /** Ends the stream with an `error` event naming `error`; resolves once it is stored. */
  fail(error: unknown): Promise<void>;
}

export interface ReadOptions {
  /** An event id this store issued for the stream (a `Last-Event-ID`): only what came after it is read. */
  lastEventId?: string | undefined;
  /** Ends the reading, for example when the client goes away (`request.signal`). */
  signal?: AbortSignal | undefined;
}

/**
 * Streams that outlive their connections. `start` runs a producer once, whoever is connected, and
 * stores each of its events under an id that names the stream (`<stream id>:<position>`), so a
 * `Last-Event-ID` alone says what to resume; `read` replays what is stored after such an id, then
 * follows live until the stream ends; `stop` ends the generation from anywhere.
 *
 * How a read ends: when the producer finishes or is stopped, the iteration ends; when it failed, was
 * cut at `maxEvents`, or was lost (its process died), one last event of type `error` says so, its
 * `data` JSON `{ "error": <name>, "message": … }`.
 */
export interface ResumableStreamStore {
  /**
   * Starts producing `streamId` (letters, digits, `_`, `-`, `.`; up to 200). Resolves once the stream
   * exists, while the producer runs on; rejects with `StreamExistsError` if it does already, or with
   * the store's error if it cannot be reached (there is no silent fallback).
   */
  start(streamId: string, producer: Producer): Promise<void>;
  /**
   * Starts `streamId` with no producer: a handle to write into it from code that owns its own loop
   * (a framework that pushes chunks rather than hands over an iterable). Rejects as `start` does.
   */
  open(streamId: string): Promise<StreamWriter>;
  /**
   * Starts `streamId` unless it exists, and reads it either way: a repeated request (a re-sent POST
   * with the same `Idempotency-Key`, a second tab) attaches to the answer already running instead of
   * starting a second one. `started` says which it was.
   */
  attach(
    streamId: string,
    producer: Producer,
    options?: ReadOptions,
  ): Promise<{ started: boolean; events: AsyncIterableIterator<ServerEvent> }>;
  /** The stream's events; rejects with `StreamNotFoundError` (410) or `InvalidEventIdError` (400). */
  read(streamId: string, options?: ReadOptions): Promise<AsyncIterableIterator<ServerEvent>>;
  /** `read` of the stream a `Last-Event-ID` names, after that event. */
  resume(lastEventId: string, options?: Pick<ReadOptions, 'signal'>): Promise<AsyncIterableIterator<ServerEvent>>;
  /** Ends the stream's generation: its producer's signal aborts, wherever it runs. */
  stop(streamId: string): Promise<void>;
  /**
   * Where the stream is, without reading it: so a "resume this chat" route can answer 204 when
   * nothing is running, and a page can tell a finished answer from a lost one.
   */
  state(streamId: string): Promise<StreamState>;
  /**
   * Keeps a short note under `key` (any string, up to 200 characters) for `expireAfter`, seen by every
   * instance sharing the store: a chat's current answer and who started it, so a resume route finds
   * it by the chat's id. A later note under the same key replaces it.
   */
  setNote(key: string, value: string): Promise<void>;
  /** The note under `key`, `null` when there is none (never set, or expired). */
  getNote(key: string): Promise<string | null>;
}

/**
 * - `active`: its producer runs;
 * - `done`: it ended well, or was stopped;
 * - `failed`: it ended with an `error` event (the producer threw, a cap was passed);
 * - `lost`: its producer's process died (a `ProducerLostError` end, or a lease no one renews);
 * - `expired`: no such stream: never started, or finished and expired.
 * `lastEventId` is the id of its last stored event (what a reader that has everything would send as
 * `Last-Event-ID`), `""` when it has none.
 */
export interface StreamState {
  state: 'active' | 'done' | 'failed' | 'lost' | 'expired';
  lastEventId: string;
}

export interface StoreOptions {
  /**
   * Milliseconds a finished stream stays readable (and resumable) before it expires.
   * @default 600000 (10 minutes)
   */
  expireAfter?: number | undefined;
  /**
   * The most events one stream holds: past it the producer is stopped and the stream ends with an
   * `error` event (`StreamLimitError`), so a runaway producer cannot fill the memory or Redis. Far
   * above any real answer: a reasoning model's 100,000-token answer at one event per token is a
   * tenth of it.
   * @default 1000000
   */
  maxEvents?: number | undefined;
  /**
   * The most characters of `data` one stream holds, all events together: past it the stream ends
   * as past `maxEvents`. 32 Mi characters is some 300 times a long chat answer's JSON.
   * @default 33554432 (32 Mi)
   */
  maxBytes?: number | undefined;
  /**
   * Milliseconds a stream may go unread before its producer is stopped (a tab closed mid-answer: the
   * model stops being paid for). A reader counts from any instance while it is connected; a new
   * stream has that long to get its first. The stream then ends with an `error` event,
   * `StreamAbandonedError`, so a later reader sees why it stopped. `0`: never.
   * @default 0
   */
  abandonAfter?: number | undefined;
}

export const storeDefaults = { expireAfter: 10 * 60_000, maxEvents: 1_000_000, maxBytes: 32 * 1024 * 1024 } as const;

/** The note's key, or a `TypeError`. */
export function checkNoteKey(key: string): string {
  if (key.length < 1 || key.length > 200) throw new TypeError('a note key is 1 to 200 characters');
  return key;
}

/** The stream id, or a `TypeError` saying what a stream id may hold. */
export function checkStreamId(streamId: string): string {
  if (!/^[\w.-]{1,200}$/.test(streamId)) {
    throw new TypeError('a stream id is 1 to 200 letters, digits, `_`, `-` or `.`');
  }
  return streamId;
}

/**
 * `<stream id>:<position>` split, or `InvalidEventIdError` (a 400); `isPosition` says whether the
 * position is of the store's own form, within what it can issue.
 */
export function parseEventId(
  lastEventId: string,
  isPosition: (position: string) => boolean,
): { streamId: string; position: string } {
  const colon = lastEventId.lastIndexOf(':');
  const streamId = lastEventId.slice(0, colon);
  const at = lastEventId.slice(colon + 1);
  if (colon < 0 || !/^[\w.-]{1,200}$/.test(streamId) || !isPosition(at)) throw new InvalidEventIdError();
  return { streamId, position: at };
}

/** Why a well-formed `Last-Event-ID` is refused: the stream never had that position. */
export function neverIssued(streamId: string, position: string): string {
  return `Last-Event-ID "${streamId}:${position}" was never issued: stream "${streamId}" has no event ending there`;
}

/**
 * The stream a `Last-Event-ID` of these stores names (`<stream id>:<position>`), or
 * `InvalidEventIdError`: for a route that must check the stream (its owner, say) before resuming it.
 */
export function streamIdOf(lastEventId: string): string {
  return parseEventId(lastEventId, () => true).streamId;
}

/** The state an ended stream is in, from its end event's data (`""` for a clean end). */
export function stateOfEnd(end: string): StreamState['state'] {
  if (!end) return 'done';
  return (JSON.parse(end) as { error?: string }).error === 'ProducerLostError' ? 'lost' : 'failed';
}

/** The last event of a stream that ended badly. */
export function errorEvent(name: string, message: string): ServerEvent {
  return { event: 'error', data: JSON.stringify({ error: name, message }) };
}

/** An event as the producer made it, checked (`formatEvent` throws on a bad field) and without its own id. */
export function storedEvent({ data, event, retry }: ServerEvent): ServerEvent {
  const stored: ServerEvent = { data };
  if (event !== undefined) stored.event = event;
  if (retry !== undefined) stored.retry = retry;
  formatEvent(stored);
  return stored;
}

export function nameOf(error: unknown): string {
  return error instanceof Error ? error.name : 'Error';
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
