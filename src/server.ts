/**
 * `fetch-eventsource/server`: writing event streams, and streams a client can resume by
 * `Last-Event-ID` on any server process (in memory for one process, in Redis for many). Never
 * imported by the main entry or by `fetch-eventsource/react`; `redis` and `ioredis` are optional peers,
 * used only through the client the app passes to `redisStore`.
 */
export { eventStream, eventStreamHeaders, eventStreamResponse, formatEvent } from './server/write.js';
export type { EventStreamOptions, ServerEvent } from './server/write.js';
export { memoryStore } from './server/memory-store.js';
export { redisStore } from './server/redis-store.js';
export type { RedisClientLike, RedisStoreOptions } from './server/redis-store.js';
export { streamIdOf } from './server/store.js';
export type {
  Producer,
  ReadOptions,
  ResumableStreamStore,
  StoreOptions,
  StreamState,
  StreamWriter,
} from './server/store.js';
export {
  InvalidEventIdError,
  ResumableStreamError,
  StoreError,
  StreamExistsError,
  StreamNotFoundError,
} from './server/errors.js';
