// The streams both benchmarks read: `npm run bench` times them, `npm run bench:instructions`
// counts the CPU instructions they take. `scale` shrinks the event counts (1: the timed sizes).
const encoder = new TextEncoder();

/** Cuts `text` into chunks of `size` bytes (the last may be shorter). */
function chunked(text, size) {
  const bytes = encoder.encode(text);
  const chunks = [];
  for (let i = 0; i < bytes.length; i += size) chunks.push(bytes.subarray(i, i + size));
  return chunks;
}

export function tokenEvents(count, eol = '\n') {
  const events = [];
  for (let i = 0; i < count; i++) {
    const content = ['Hello', ' world', ',', ' how', ' are', ' you', '?', ' é', ' 😀'][i % 9];
    events.push(`id: ${i}${eol}data: {"choices":[{"delta":{"content":"${content}"}}]}${eol}${eol}`);
  }
  return events;
}

/** OpenAI's shape: no `id:`, and JSON that itself holds an "id". */
function openAiEvents(count) {
  const events = [];
  for (let i = 0; i < count; i++) {
    events.push(
      `data: {"id":"chatcmpl-42","object":"chat.completion.chunk","choices":[{"index":0,"delta":{"content":"w${i % 10}"}}]}\n\n`,
    );
  }
  return events;
}

export function workloads(scale = 1) {
  const small = 200_000 * scale;
  const large = 200 * scale;
  return [
    { name: 'openai-16k', events: small, chunks: () => chunked(openAiEvents(small).join(''), 16 * 1024) },
    { name: 'token-16k', events: small, chunks: () => chunked(tokenEvents(small).join(''), 16 * 1024) },
    { name: 'token-per-chunk', events: small, chunks: () => tokenEvents(small).map((e) => encoder.encode(e)) },
    {
      name: 'large-256k',
      events: large,
      chunks: () => chunked(`data: ${'x'.repeat(256 * 1024)}\n\n`.repeat(large), 64 * 1024),
    },
    {
      name: 'multiline-2000',
      events: large,
      chunks: () => chunked(`${'data: line of text\n'.repeat(2000)}\n`.repeat(large), 16 * 1024),
    },
    { name: 'token-crlf', events: small, chunks: () => chunked(tokenEvents(small, '\r\n').join(''), 16 * 1024) },
    { name: 'one-byte', events: 5_000 * scale, chunks: () => chunked(tokenEvents(5_000 * scale).join(''), 1) },
  ];
}

/** A fetch whose every call streams `chunks` afresh, one chunk per pull. */
export function fetchOf(chunks) {
  return async () => {
    let i = 0;
    const body = new ReadableStream(
      {
        pull(controller) {
          if (i < chunks.length) controller.enqueue(chunks[i++]);
          else controller.close();
        },
      },
      { highWaterMark: 0 },
    );
    return new Response(body, { headers: { 'content-type': 'text/event-stream' } });
  };
}
