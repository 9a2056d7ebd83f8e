// A chat answer printed token by token with fetchEvents, against the demo server.
//   npm run demo            (in one terminal)
//   node examples/chat.mjs "your question"
import { fetchEvents } from 'fetch-eventsource';

const base = process.env.DEMO_URL ?? 'http://127.0.0.1:8787/';
const prompt = process.argv[2] ?? 'How do Server-Sent Events survive a dropped connection?';

const { token } = await (await fetch(new URL('/api/token', base), { method: 'POST' })).json();

for await (const message of fetchEvents(new URL('/api/chat', base), {
  method: 'POST',
  headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
  body: JSON.stringify({ messages: [{ role: 'user', content: prompt }] }),
})) {
  // The demo sends the answer's id first (`event: answer`), then one token per plain message.
  if (message.event !== 'message') continue;
  if (message.data === '[DONE]') break;
  process.stdout.write(JSON.parse(message.data).token);
}
process.stdout.write('\n');
