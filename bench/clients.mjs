// Each client reads one stream from `url` through `fetch` and resolves with the number of events
// it delivered. They do the least a user would: count the event, touch its data.
import { fetchEventSource as microsoftFetchEventSource } from '@microsoft/fetch-event-source';
import { createParser } from 'eventsource-parser';
import { EventSource as EventSourcePackage } from 'eventsource';
import { createEventSource } from 'eventsource-client';
import { events as fetchEventStream } from 'fetch-event-stream';
import { fetchEvents, fetchEventSource } from '../dist/index.js';

// @microsoft/fetch-event-source needs `window` and `document` even with openWhenHidden: true (it
// crashes in Node without them); they exist only while it runs, so no other client sees them.
const browserShim = { hidden: false, addEventListener() {}, removeEventListener() {} };

async function readAll(response, onText) {
  const decoder = new TextDecoder();
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    onText(decoder.decode(value, { stream: true }));
  }
  onText(decoder.decode());
}

export const clients = [
  {
    name: 'floor (read + decode)',
    floor: true, // parses nothing, so it has no events to count
    async run(url, fetch) {
      let chars = 0;
      await readAll(await fetch(url), (text) => (chars += text.length));
      return chars;
    },
  },
  {
    name: 'eventsource-parser (raw)',
    async run(url, fetch) {
      let count = 0;
      const parser = createParser({ onEvent: (event) => void (count += event.data.length >= 0 ? 1 : 0) });
      await readAll(await fetch(url), (text) => parser.feed(text));
      return count;
    },
  },
  {
    name: 'fetchEventSource',
    async run(url, fetch) {
      let count = 0;
      await fetchEventSource(url, { fetch, onmessage: (m) => void (count += m.data.length >= 0 ? 1 : 0) });
      return count;
    },
  },
  {
    name: 'fetchEvents',
    async run(url, fetch) {
      let count = 0;
      for await (const m of fetchEvents(url, { fetch })) count += m.data.length >= 0 ? 1 : 0;
      return count;
    },
  },
  {
    name: '@microsoft/fetch-event-source',
    async run(url, fetch) {
      let count = 0;
      Object.assign(globalThis, { window: globalThis, document: browserShim });
      await microsoftFetchEventSource(url, {
        fetch,
        openWhenHidden: true,
        onmessage: (m) => void (count += m.data.length >= 0 ? 1 : 0),
        onclose() {},
        onerror(error) {
          throw error;
        },
      }).finally(() => {
        delete globalThis.window;
        delete globalThis.document;
      });
      return count;
    },
  },
  {
    name: 'eventsource',
    run(url, fetch) {
      return new Promise((resolve) => {
        let count = 0;
        let calls = 0;
        // It reconnects after the end: the second request never answers, and its error ends the run.
        const source = new EventSourcePackage(url, {
          fetch: (input, init) => (++calls === 1 ? fetch(input, init) : new Promise(() => {})),
        });
        source.onmessage = (m) => void (count += m.data.length >= 0 ? 1 : 0);
        source.onerror = () => {
          source.close();
          resolve(count);
        };
      });
    },
  },
  {
    name: 'eventsource-client',
    run(url, fetch) {
      return new Promise((resolve) => {
        let count = 0;
        const source = createEventSource({
          url,
          fetch,
          onMessage: (m) => void (count += m.data.length >= 0 ? 1 : 0),
          onDisconnect: () => {
            source.close();
            resolve(count);
          },
        });
      });
    },
  },
  {
    name: 'fetch-event-stream',
    async run(url, fetch) {
      let count = 0;
      for await (const m of fetchEventStream(await fetch(url))) count += (m.data ?? '').length >= 0 ? 1 : 0;
      return count;
    },
  },
];
