// The runtime matrix's smoke scenario: the same checks in every runtime, against the matrix's
// node:http server at `base` (test/runtimes/server.mjs). Plain JavaScript with no import, so it runs
// as it is in Node, Deno and Bun, and bundled in workerd, the edge sandbox and Chromium.
// `lib` is the package as installed from the tarball; returns one { name, ok, detail } per check.

export async function scenario(lib, base) {
  const run = Math.random().toString(36).slice(2);
  const checks = [];
  const check = (name, ok, detail) => checks.push({ name, ok: Boolean(ok), detail: ok ? '' : detail });
  const seen = async (path) => (await fetch(`${base}/seen?key=${path}-${run}`)).json();
  const chat = (key) => ({
    url: `${base}/chat?key=${key}-${run}`,
    init: {
      method: 'POST',
      headers: { authorization: 'Bearer smoke-token', 'content-type': 'application/json' },
      body: JSON.stringify({ prompt: 'hello' }),
      retry: { initialDelay: 10, jitter: 0 },
    },
  });

  /** A chat read by `read(url, init)` into its tokens: all five, once, resumed after the drop with Last-Event-ID 3. */
  async function chatCheck(name, key, read) {
    try {
      const { url, init } = chat(key);
      const tokens = await read(url, init);
      const requests = await seen(key);
      check(
        name,
        tokens.join(' ') === 't1 t2 t3 t4 t5' && JSON.stringify(requests) === '["","3"]',
        `tokens ${tokens.join(' ')}; Last-Event-IDs ${JSON.stringify(requests)}`,
      );
    } catch (error) {
      check(name, false, String(error));
    }
  }
  await chatCheck('fetchEventSource: POST + Authorization, resumed after a drop', 'callback', async (url, init) => {
    const tokens = [];
    await lib.fetchEventSource(url, { ...init, onmessage: (message) => tokens.push(message.data) });
    return tokens;
  });
  await chatCheck('fetchEvents: the same, with for await', 'iterator', async (url, init) => {
    const tokens = [];
    for await (const message of lib.fetchEvents(url, init)) tokens.push(message.data);
    return tokens;
  });

  try {
    const error = await lib
      .fetchEventSource(`${base}/unauthorized?key=401-${run}`, { retry: { initialDelay: 10 } })
      .then(
        () => undefined,
        (thrown) => thrown,
      );
    const requests = await seen('401');
    check(
      'a 401 rejects with HttpError after exactly one request',
      lib.isHttpError(error) && error.status === 401 && requests.length === 1,
      `error ${String(error)}; ${requests.length} requests`,
    );
  } catch (error) {
    check('a 401 rejects with HttpError after exactly one request', false, String(error));
  }

  try {
    // The EventSource class: a data-less block's id counts; each handler runs once; origin is the server's.
    const result = await new Promise((resolve) => {
      const source = new lib.EventSource(`${base}/feed?key=es-${run}`, { retry: { initialDelay: 10, jitter: 0 } });
      const events = [];
      let handlerCalls = 0;
      source.onmessage = () => void (handlerCalls += 1);
      source.addEventListener('message', (event) => events.push([event.data, event.lastEventId, event.origin]));
      source.onerror = () => {
        if (source.readyState !== lib.EventSource.CLOSED) return;
        resolve({ events, handlerCalls });
      };
    });
    const origin = new URL(base).origin;
    const expected = [
      ['x', 'a', origin],
      ['y', 'b', origin],
    ];
    check(
      'EventSource: data, lastEventId and origin on every message, each handler once',
      JSON.stringify(result.events) === JSON.stringify(expected) && result.handlerCalls === 2,
      `events ${JSON.stringify(result.events)}; onmessage ran ${result.handlerCalls} times`,
    );
  } catch (error) {
    check('EventSource: data, lastEventId and origin on every message, each handler once', false, String(error));
  }
  return checks;
}
