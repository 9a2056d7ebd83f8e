// The demo's endless ticker, reconnecting after every clean end like EventSource does.
//   npm run demo            (in one terminal)
//   node examples/feed.mjs [ticks]      (Ctrl-C to stop; default: forever)
import { fetchEventSource } from 'fetch-eventsource';

const base = process.env.DEMO_URL ?? 'http://127.0.0.1:8787/';
const limit = Number(process.argv[2] ?? Infinity);
const controller = new AbortController();
process.once('SIGINT', () => controller.abort());
let seen = 0;

await fetchEventSource(new URL('/api/feed', base), {
  reconnectOnClose: true,
  signal: controller.signal,
  onopen: () => console.log('connected'),
  onretry: ({ delay, failures }) => console.log(`reconnecting in ${Math.round(delay)} ms (failures: ${failures})`),
  onmessage(message) {
    const { n, time } = JSON.parse(message.data);
    console.log(`tick #${n} at ${time}`);
    if (++seen >= limit) controller.abort();
  },
});
