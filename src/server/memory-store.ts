/* eslint-disable @typescript-eslint/require-await -- a backend is async (Redis answers later); memory answers at once */
import type { Backend, Notice } from './backend.js';
import { createStore } from './core.js';
import { InvalidEventIdError } from './errors.js';
import { neverIssued, stateOfEnd, storeDefaults, type ResumableStreamStore, type StoreOptions } from './store.js';
import type { ServerEvent } from './write.js';

interface MemoryStream {
  events: ServerEvent[];
  /** Undefined while it runs; then the end (`""`, or the error event's data). */
  end: string | undefined;
  stopAsked: boolean;
  /** Until when someone reads it (ms since epoch). */
  watchedUntil: number;
  listeners: Set<(notice: Notice) => void>;
}

/**
 * A store in this process's memory: the default, for one server process. Positions count events
 * from 1. A finished stream is dropped `expireAfter` ms after it ended. Its producer lives in this
 * process, so there is no lease: a dead process takes its streams with it.
 */
export function memoryStore(options: StoreOptions = {}): ResumableStreamStore {
  const { expireAfter = storeDefaults.expireAfter } = options;
  const streams = new Map<string, MemoryStream>();
  const notes = new Map<string, { value: string; until: number }>();

  const backend: Backend = {
    // At most 16 digits: as many events as a stream could ever hold.
    isPosition: (position) => /^\d{1,16}$/.test(position),
    origin: '0',
    leaseTtl: Infinity,
    async create(streamId) {
      if (streams.has(streamId)) return false;
      streams.set(streamId, { events: [], end: undefined, stopAsked: false, watchedUntil: 0, listeners: new Set() });
      return true;
    },
    // The producer lives in this process, and a stream's id is free again only once it ended: no
    // other producer can hold it, so there is no token to check.
    async append(streamId, _token, events) {
      const stream = streams.get(streamId);
      if (!stream) return null;
      const before = stream.events.push(...events) - events.length;
      return events.map((_, index) => String(before + index + 1));
    },
    async renew(streamId) {
      return streams.get(streamId)?.stopAsked ? 'stop' : 'ok';
    },
    async end(streamId, end) {
      const stream = streams.get(streamId);
      if (!stream || stream.end !== undefined) return;
      stream.end = end;
      // Unref'd, so a finished stream waiting to expire keeps no process alive.
      const expiry = setTimeout(() => streams.delete(streamId), expireAfter) as { unref?: () => void };
      expiry.unref?.();
    },
    async readAfter(streamId, position) {
      const stream = streams.get(streamId);
      if (!stream) return { events: [], position, end: '' };
      const from = Number(position);
      const events = stream.events
        .slice(from)
        .map((event, index) => ({ ...event, id: `${streamId}:${from + index + 1}` }));
      return { events, position: String(stream.events.length), end: stream.end };
    },
    async exists(streamId, position) {
      const stream = streams.get(streamId);
      if (stream && Number(position) > stream.events.length)
        throw new InvalidEventIdError(neverIssued(streamId, position));
      return stream !== undefined;
    },
    async leased(streamId) {
      return streams.get(streamId)?.end === undefined;
    },
    async ended(streamId) {
      return streams.get(streamId)?.end !== undefined;
    },
    async remove(streamId) {
      streams.delete(streamId);
    },
    async touch(streamId, ttl) {
      const stream = streams.get(streamId);
      if (stream) stream.watchedUntil = Math.max(stream.watchedUntil, Date.now() + ttl);
    },
    async watched(streamId) {
      return Date.now() < (streams.get(streamId)?.watchedUntil ?? 0);
    },
    async requestStop(streamId) {
      const stream = streams.get(streamId);
      if (!stream) return;
      stream.stopAsked = true;
      await backend.notify(streamId, 's');
    },
    async listen(streamId, listener) {
      const listeners = streams.get(streamId)?.listeners;
      listeners?.add(listener);
      return () => listeners?.delete(listener);
    },
    async notify(streamId, notice) {
      for (const listener of streams.get(streamId)?.listeners ?? []) listener(notice);
    },
    async state(streamId) {
      const stream = streams.get(streamId);
      if (!stream) return { state: 'expired', lastEventId: '' };
      const count = stream.events.length;
      const lastEventId = count ? `${streamId}:${count}` : '';
      return { state: stream.end === undefined ? 'active' : stateOfEnd(stream.end), lastEventId };
    },
    async setNote(key, value, ttl) {
      notes.set(key, { value, until: Date.now() + ttl });
      // Unref'd, as a finished stream's expiry: dropped once expired, unless replaced since.
      const expiry = setTimeout(() => {
        if ((notes.get(key)?.until ?? Infinity) <= Date.now()) notes.delete(key);
      }, ttl) as { unref?: () => void };
      expiry.unref?.();
    },
    async getNote(key) {
      const note = notes.get(key);
      return note && note.until > Date.now() ? note.value : null;
    },
    async close() {},
  };
  return createStore(backend, options);
}
