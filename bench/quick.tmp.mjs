// Alternates raw parser and fetchEventSource on the token workload, 25 rounds, prints the median ratio.
import { createParser } from 'eventsource-parser';
import { fetchEventSource } from '/work/main/dist/index.js';
const enc = new TextEncoder();
const ev = []; for (let i = 0; i < 200000; i++) ev.push(`id: ${i}\ndata: {"choices":[{"delta":{"content":"Hello"}}]}\n\n`);
const bytes = enc.encode(ev.join('')); const chunks = []; for (let i = 0; i < bytes.length; i += 16384) chunks.push(bytes.subarray(i, i + 16384));
const fetch = async () => { let i = 0; return new Response(new ReadableStream({ pull(c) { if (i < chunks.length) c.enqueue(chunks[i++]); else c.close(); } }, { highWaterMark: 0 }), { headers: { 'content-type': 'text/event-stream' } }); };
async function raw() { let n = 0; const p = createParser({ onEvent: (e) => { n += e.data.length >= 0 ? 1 : 0; } }); const r = (await fetch()).body.getReader(); const d = new TextDecoder(); for (;;) { const { done, value } = await r.read(); if (done) break; p.feed(d.decode(value, { stream: true })); } return n; }
async function ours() { let n = 0; await fetchEventSource('https://x/', { fetch, onmessage: (m) => { n += m.data.length >= 0 ? 1 : 0; } }); return n; }
const t = { raw: [], ours: [] };
for (let r = 0; r < 30; r++) for (const [k, f] of r % 2 ? [['raw', raw], ['ours', ours]] : [['ours', ours], ['raw', raw]]) { const s = performance.now(); await f(); if (r >= 5) t[k].push(performance.now() - s); }
const med = (a) => a.sort((x, y) => x - y)[a.length >> 1];
console.log('raw', med(t.raw).toFixed(1), 'ours', med(t.ours).toFixed(1), 'ratio', (med(t.raw) / med(t.ours)).toFixed(2));
