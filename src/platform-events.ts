/**
 * The events the `EventSource` class dispatches, made the same on every runtime. What a platform
 * does is found out when an event is made, never at import (importing must touch nothing on any runtime).
 */

/** A `message` event's fields, as https://html.spec.whatwg.org/multipage/server-sent-events.html#dispatchMessage sets them. */
export interface MessageInit {
  data: string;
  lastEventId: string;
  origin: string;
}

/**
 * A `MessageEvent` carrying `data`, `lastEventId` and `origin`. Where the platform has none
 * (`@edge-runtime/vm`, a Next.js edge route) or its constructor drops fields (workerd keeps
 * `data` only), an `Event` with the same read-only fields stands in.
 */
export function messageEvent(type: string, init: MessageInit): MessageEvent<string> {
  // Read off globalThis: Next.js refuses a bare `MessageEvent` in code bundled for its edge runtime.
  const Native = (globalThis as { MessageEvent?: typeof MessageEvent }).MessageEvent;
  if (Native) {
    const event = new Native(type, init);
    if (event.data === init.data && event.lastEventId === init.lastEventId && event.origin === init.origin)
      return event;
  }
  const event = new Event(type);
  for (const [name, value] of Object.entries({ ...init, ports: [], source: null })) {
    Object.defineProperty(event, name, { value, enumerable: true });
  }
  return event as MessageEvent<string>;
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
