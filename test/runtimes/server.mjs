// The runtime matrix's server on 127.0.0.1: the streams the scenario reads, what each key's
// requests sent, and the files the Chromium runs load (`files`: URL path → { type, body }).
import { createServer } from 'node:http';

export async function startScenarioServer(files = {}) {
  /** Key → the Last-Event-ID of each request ("" for none). */
  const seen = new Map();
  const server = createServer(async (request, response) => {
    const url = new URL(request.url, 'http://scenario');
    const key = url.searchParams.get('key') ?? '';
    const record = () => {
      const list = seen.get(key) ?? [];
      list.push(request.headers['last-event-id'] ?? '');
      seen.set(key, list);
      return list.length;
    };
    const stream = () => response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-store' });
    switch (url.pathname) {
      case '/chat': {
        let body = '';
        for await (const chunk of request) body += chunk;
        const authorised = request.headers.authorization === 'Bearer smoke-token';
        if (request.method !== 'POST' || !authorised || JSON.parse(body || '{}').prompt !== 'hello') {
          return response.writeHead(400).end();
        }
        const attempt = record();
        stream();
        if (attempt === 1) {
          // Three tokens, then the socket dies.
          const text = [1, 2, 3].map((n) => `id: ${n}\ndata: t${n}\n\n`).join('');
          // The pause lets every runtime hand the events to the page before the socket dies.
          return response.write(text, () => setTimeout(() => request.socket.destroy(), 250));
        }
        const from = Number(request.headers['last-event-id'] ?? 0) + 1;
        let text = '';
        for (let n = from; n <= 5; n++) text += `id: ${n}\ndata: t${n}\n\n`;
        return response.end(text);
      }
      case '/unauthorized':
        record();
        return response.writeHead(401).end();
      case '/feed':
        // First request: a block without data whose id still counts; then 204 stops the EventSource.
        if (record() > 1) return response.writeHead(204).end();
        stream();
        return response.end('id: a\ndata: x\n\nid: b\n\ndata: y\n\n');
      case '/seen':
        response.writeHead(200, { 'content-type': 'application/json' });
        return response.end(JSON.stringify(seen.get(key) ?? []));
      default: {
        const file = files[url.pathname];
        if (!file) return response.writeHead(404).end();
        response.writeHead(200, { 'content-type': file.type, 'cache-control': 'no-store' });
        return response.end(file.body);
      }
    }
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}
