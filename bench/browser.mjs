// `npm run bench:browser`: in Debian's Chromium, the browser's native EventSource against this
// library reading the same loopback stream: many small events, 256 KiB events, and delivery latency.
// Reported, never asserted. Needs /usr/bin/chromium (apt-get install chromium).
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { launchChromium } from '../scripts/chromium.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const small = (i) => `id: ${i}\ndata: {"choices":[{"delta":{"content":"Hello"}}]}\n\n`;
const bodies = {
  small: Array.from({ length: 200_000 }, (_, i) => small(i)).join('') + 'event: end\ndata: end\n\n',
  large: `data: ${'x'.repeat(256 * 1024)}\n\n`.repeat(200) + 'event: end\ndata: end\n\n',
};
const page = `<!doctype html><script type="importmap">{"imports":{"fetch-eventsource":"/lib/index.js","eventsource-parser":"/lib/parser/index.js","eventsource-client":"/lib/eventsource-client.js"}}</script>`;

// The peer, bundled for the page (it ships CommonJS-flavoured entry points and its own parser 3).
const eventsourceClient = (
  await build({
    entryPoints: ['eventsource-client'],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    write: false,
    logLevel: 'silent',
  })
).outputFiles[0].text;

const server = createServer(async (request, response) => {
  const url = new URL(request.url, 'http://bench');
  const send = (type, body) => response.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
  if (url.pathname === '/') return send('text/html', page);
  if (url.pathname === '/lib/index.js') return send('text/javascript', await readFile(`${root}dist/index.js`));
  // eventsource-parser 4 is three ES modules that import each other by relative path.
  const parserModule = /^\/lib\/parser\/(index|parse|errors)\.js$/.exec(url.pathname)?.[1];
  if (parserModule) {
    return send('text/javascript', await readFile(`${root}node_modules/eventsource-parser/dist/${parserModule}.js`));
  }
  if (url.pathname === '/lib/eventsource-client.js') return send('text/javascript', eventsourceClient);
  if (url.pathname === '/stream') return send('text/event-stream', bodies[url.searchParams.get('kind')]);
  if (url.pathname === '/latency') {
    // One event every 10 ms carrying the server's clock; the page measures how late it arrives.
    response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    let sent = 0;
    const timer = setInterval(() => {
      response.write(
        sent++ < 300 ? `data: ${performance.timeOrigin + performance.now()}\n\n` : 'event: end\ndata: end\n\n',
      );
    }, 10);
    request.on('close', () => clearInterval(timer));
    return;
  }
  response.writeHead(404).end();
});
await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await launchChromium();
const tab = await browser.newPage();
await tab.goto(origin);

/** Runs in the page: reads `path` with `client` until the `end` event; returns ms, events and latencies. */
async function readInPage(path, client) {
  return tab.evaluate(
    async ({ path, client }) => {
      const { fetchEventSource, fetchEvents } = await import('fetch-eventsource');
      let events = 0;
      let bytes = 0;
      const lateness = [];
      const onData = (data) => {
        events += 1;
        bytes += data.length;
        if (path === '/latency') lateness.push(performance.timeOrigin + performance.now() - Number(data));
      };
      const start = performance.now();
      if (client === 'native EventSource') {
        await new Promise((resolve) => {
          const source = new EventSource(path);
          source.onmessage = (event) => onData(event.data);
          source.addEventListener('end', () => {
            source.close();
            resolve();
          });
        });
      } else if (client === 'eventsource-client') {
        const { createEventSource } = await import('eventsource-client');
        await new Promise((resolve) => {
          const source = createEventSource({
            url: new URL(path, location.href).href,
            onMessage: (message) => {
              if (message.event !== 'end') return onData(message.data);
              source.close();
              resolve();
            },
          });
        });
      } else if (client === 'fetchEvents') {
        for await (const message of fetchEvents(path)) {
          if (message.event === 'end') break;
          onData(message.data);
        }
      } else {
        const controller = new AbortController();
        await fetchEventSource(path, {
          signal: controller.signal,
          onmessage: (message) => (message.event === 'end' ? controller.abort() : onData(message.data)),
        });
      }
      return { ms: performance.now() - start, events, bytes, lateness };
    },
    { path, client },
  );
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const clients = ['native EventSource', 'fetchEventSource', 'fetchEvents', 'eventsource-client'];
console.log(`Chromium ${browser.version()}, median of ${rounds} rounds after a warm-up`);
for (const [name, path] of [
  ['200,000 small events', '/stream?kind=small'],
  ['200 events of 256 KiB', '/stream?kind=large'],
]) {
  const samples = Object.fromEntries(clients.map((c) => [c, []]));
  let last;
  for (let round = 0; round <= rounds; round++) {
    // Rotate the order each round so drift hits every client alike.
    for (const client of clients.map((_, i) => clients[(i + round) % clients.length])) {
      last = await readInPage(path, client);
      if (round > 0) samples[client].push(last.ms);
    }
  }
  console.log(`\n${name}`);
  for (const client of clients) {
    const ms = median(samples[client]);
    console.log(
      `${client.padEnd(20)} ${Math.round(last.events / (ms / 1000))
        .toLocaleString('en')
        .padStart(12)} events/s ${(last.bytes / 1e6 / (ms / 1000)).toFixed(0).padStart(6)} MB/s`,
    );
  }
}
console.log('\nlatency of 300 events sent 10 ms apart (ms late: median / p95)');
for (const client of clients) {
  const { lateness } = await readInPage('/latency', client);
  const sorted = [...lateness].sort((a, b) => a - b);
  console.log(
    `${client.padEnd(20)} ${median(sorted).toFixed(2)} / ${sorted[Math.floor(sorted.length * 0.95)].toFixed(2)}`,
  );
}
await browser.close();
server.close();
