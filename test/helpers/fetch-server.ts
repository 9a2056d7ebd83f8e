import { Readable } from 'node:stream';
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Cuts a response's connection after `events` events, as a proxy dropping it mid-answer would. */
export type Cut = (request: Request) => number | undefined;

/**
 * A `node:http` handler that runs a web `fetch` handler (a route handler's shape): the request as a
 * `Request` whose `signal` aborts when the client goes away, the `Response` written back; `cut`
 * destroys the socket after that many events of a response.
 */
export function fetchHandler(handle: (request: Request) => Promise<Response>, cut: Cut = () => undefined) {
  return (incoming: IncomingMessage, outgoing: ServerResponse) => {
    const gone = new AbortController();
    outgoing.on('close', () => gone.abort());
    const method = incoming.method ?? 'GET';
    const request = new Request(`http://${incoming.headers.host}${incoming.url}`, {
      method,
      headers: incoming.headers as Record<string, string>,
      body: method === 'GET' || method === 'HEAD' ? null : (Readable.toWeb(incoming) as ReadableStream),
      signal: gone.signal,
      // @ts-expect-error -- Node's fetch needs `duplex` for a streamed body; the DOM types lack it
      duplex: 'half',
    });
    void (async () => {
      const response = await handle(request);
      outgoing.writeHead(response.status, Object.fromEntries(response.headers));
      const limit = cut(request);
      let events = 0;
      if (response.body) {
        for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
          if (outgoing.destroyed) return;
          outgoing.write(chunk);
          events += Buffer.from(chunk).toString().split('\n\n').length - 1;
          if (limit !== undefined && events >= limit) return void outgoing.destroy();
        }
      }
      outgoing.end();
    })().catch(() => outgoing.destroy());
  };
}

/** A response body that fails after `events` events, as a dropped connection does (the client's side of a cut). */
export function cutAfter(body: ReadableStream<Uint8Array>, events: number): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  let seen = 0;
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (seen >= events) {
        await reader.cancel();
        return controller.error(new TypeError('terminated'));
      }
      const { done, value } = await reader.read();
      if (done) return controller.close();
      seen += new TextDecoder().decode(value).split('\n\n').length - 1;
      controller.enqueue(value);
    },
  });
}
