/** Every error of `fetch-eventsource/server` extends this class. */
export class ResumableStreamError extends Error {
  override name: string = 'ResumableStreamError';
}

/** No stream has this id: it never existed, or it finished and expired. A route answers 410 Gone. */
export class StreamNotFoundError extends ResumableStreamError {
  override name = 'StreamNotFoundError' as const;
  declare readonly streamId: string;

  constructor(streamId: string) {
    super(`no stream "${streamId}": unknown, or finished and expired`);
    this.streamId = streamId;
  }
}

/**
 * A `Last-Event-ID` that no store issued: not `<stream id>:<position>`, or a position the stream
 * never had. A route answers 400.
 */
export class InvalidEventIdError extends ResumableStreamError {
  override name = 'InvalidEventIdError' as const;

  constructor(message = 'malformed Last-Event-ID: expected "<stream id>:<position>" as this store issues them') {
    super(message);
  }
}

/** `start` was called for a stream id that is running or stored already: its producer runs once. */
export class StreamExistsError extends ResumableStreamError {
  override name = 'StreamExistsError' as const;
  declare readonly streamId: string;

  constructor(streamId: string) {
    super(`stream "${streamId}" exists already: its producer runs once`);
    this.streamId = streamId;
  }
}

/** The store's backend failed or did not answer in time (Redis down, say). `cause` is what it threw, if anything. */
export class StoreError extends ResumableStreamError {
  override name = 'StoreError' as const;

  constructor(message: string, cause?: unknown) {
    super(message, { cause });
  }
}
