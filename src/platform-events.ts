/**
 * The events the `EventSource` class dispatches, made the same on every runtime. What a platform
 * does is decided at first use, never at import (importing must touch nothing on any runtime).
 */

/** A `message` event's fields, as https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage sets them. */
export interface MessageInit {
  data: string;
  lastEventId: string;
  origin: string;
}

let nativeMessageEventWorks: boolean | undefined;

/**
 * A `MessageEvent` carrying `data`, `lastEventId` and `origin`. Where the platform has none
 * (`@edge-runtime/vm`, a Next.js edge route) or its constructor drops fields (workerd keeps
 * `data` only), an `Event` with the same read-only fields stands in.
 */
export function messageEvent(type: string, init: MessageInit): MessageEvent<string> {
  // Read off globalThis: Next.js refuses a bare `MessageEvent` in code bundled for its edge runtime.
  const Native = (globalThis as { MessageEvent?: typeof MessageEvent }).MessageEvent;
  nativeMessageEventWorks ??= keepsFields(Native);
  if (nativeMessageEventWorks && Native) return new Native(type, init);
  const event = new Event(type);
  const fields = { ...init, ports: [], source: null };
  for (const [name, value] of Object.entries(fields)) {
    Object.defineProperty(event, name, { value, enumerable: true });
  }
  return event as MessageEvent<string>;
}

function keepsFields(Native: typeof MessageEvent | undefined): boolean {
  if (typeof Native !== 'function') return false;
  try {
    const probe = new Native('probe', { data: 'd', lastEventId: 'l', origin: 'https://o.test' });
    return probe.data === 'd' && probe.lastEventId === 'l' && probe.origin === 'https://o.test';
  } catch {
    return false;
  }
}

let targetCallsHandlers: boolean | undefined;

/**
 * Whether this platform's `EventTarget` calls an `on<type>` property by itself when it dispatches
 * (workerd's does). There the class must not call its handlers again, or each would run twice.
 */
export function eventTargetCallsHandlers(): boolean {
  if (targetCallsHandlers === undefined) {
    let called = false;
    const probe = Object.assign(new EventTarget(), { onmessage: () => void (called = true) });
    probe.dispatchEvent(new Event('message'));
    targetCallsHandlers = called;
  }
  return targetCallsHandlers;
}
