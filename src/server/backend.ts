import type { StreamState } from './store.js';
import type { ServerEvent } from './write.js';

/** What a stream's reader is told: an event was appended (`a`), the stream ended (`x`), stop was asked (`s`). */
export type Notice = 'a' | 'x' | 's';

/**
 * Where a store keeps its streams. The lifecycle — produce, follow, the lease, the caps, resume,
 * stop — is written once, in core.ts, against these few operations; a backend only stores, reads,
 * notifies and leases (the shape of `resumable-stream`'s Publisher and Subscriber). A stream's
 * end is one value: `""` for a clean end, else the JSON data of its `error` event.
 */
export interface Backend {
  /** Whether `position` is of this backend's form and within what it can issue. */
  readonly isPosition: (position: string) => boolean;
  /** The position before a stream's first event. */
  readonly origin: string;
  /**
   * Milliseconds of a producer's lease (it renews it every third); readers check it on that clock.
   * `Infinity` where the producer can only live in this process (memory).
   */
  readonly leaseTtl: number;
  /** Creates the stream, its lease held by `token`; false if the stream exists. */
  create(streamId: string, token: string): Promise<boolean>;
  /**
   * Appends `events` in order, as one step, for the producer holding the lease `token`: the position
   * of each, or `null` when nothing was written — the stream is gone (expired, or lost with Redis) or
   * its lease is not `token`'s (it lapsed, or the id was started again by another producer).
   */
  append(streamId: string, token: string, events: ServerEvent[]): Promise<string[] | null>;
  /** Renews the lease: `stop` if a stop was asked, `lost` if the lease is not `token`'s any more. */
  renew(streamId: string, token: string): Promise<'ok' | 'stop' | 'lost'>;
  /**
   * Writes the end once, whoever comes first: the producer holding the lease (`token`), or a reader
   * that found the lease gone (`token` `""`, written only if there is still no lease).
   */
  end(streamId: string, end: string, token: string): Promise<void>;
  /**
   * What is stored after `position`, some of it at a time: the events with their ids
   * (`<stream id>:<position>`), the position after the last of them, and `end` once the stream's end
   * was reached.
   */
  readAfter(
    streamId: string,
    position: string,
  ): Promise<{ events: ServerEvent[]; position: string; end?: string | undefined }>;
  /**
   * Whether the stream exists; `InvalidEventIdError` if `position` is not one this backend issued for
   * it (past its end, or inside an event).
   */
  exists(streamId: string, position: string): Promise<boolean>;
  /** Whether a producer's lease is held (a reader asks when it heard nothing for a while). */
  leased(streamId: string): Promise<boolean>;
  /** Whether the stream's end was written. */
  ended(streamId: string): Promise<boolean>;
  /** Removes a stream whose producer failed at once, so its id is free. */
  remove(streamId: string): Promise<void>;
  /** Marks that someone reads the stream, for the next `ttl` ms (from any instance). */
  touch(streamId: string, ttl: number): Promise<void>;
  /** Whether anyone touched the stream within the `ttl` of their touch. */
  watched(streamId: string): Promise<boolean>;
  /** Asks the producer to stop, wherever it runs. */
  requestStop(streamId: string): Promise<void>;
  /** Calls `listener` with each notice for the stream; resolves with what stops it. */
  listen(streamId: string, listener: (notice: Notice) => void): Promise<() => void>;
  notify(streamId: string, notice: Notice): Promise<void>;
  state(streamId: string): Promise<StreamState>;
  /** Keeps `value` under `key` for `ttl` ms. */
  setNote(key: string, value: string, ttl: number): Promise<void>;
  getNote(key: string): Promise<string | null>;
  /** Ends what the backend opened itself (not the app's client). */
  close(): Promise<void>;
}
