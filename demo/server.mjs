// The demo server: node:http and nothing else at run time. `npm run demo` builds the library,
// then runs this file, which bundles the page (React + the hook) with esbuild into memory and
// serves it, the built library (dist/) and the APIs below on 127.0.0.1.
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { answerFor, tokenize } from './answers.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOKEN_LIFETIME_MS = 10 * 60_000;

/** Starts the demo on `host:port` (port 0 picks a free one) and resolves once it listens. */
export async function startDemoServer({ port = 8787, host = '127.0.0.1', log = console.log } = {}) {
  const page = await bundlePage();
  const tokens = new Map(); // token → expiry time
  const faults = { drop: false, unavailable: false, slow: false };
  /** What the server saw of every API request, newest last: the page shows it. */
  const requests = [];
  const logWatchers = new Set();
  let feedTick = 0;
  /** Sockets of the chat answers being streamed now: "drop" cuts them. */
  const activeChats = new Set();

  function record(request, status) {
    const entry = {
      n: requests.length + 1,
      time: new Date().toISOString(),
      method: request.method,
      path: new URL(request.url, 'http://demo').pathname,
      lastEventId: request.headers['last-event-id'] ?? null,
      status,
    };
    requests.push(entry);
    if (requests.length > 500) requests.shift();
    for (const watcher of logWatchers) watcher(entry);
  }

  const routes = {
    'GET /': (request, response) => send(response, 200, 'text/html; charset=utf-8', page.html),
    'GET /app.js': (request, response) => send(response, 200, 'text/javascript; charset=utf-8', page.js),
    'GET /lib/index.js': (request, response) => sendFile(response, `${root}dist/index.js`),
    // eventsource-parser 4 is three ES modules that import each other by relative path.
    ...Object.fromEntries(
      ['index', 'parse', 'errors'].map((name) => [
        `GET /lib/eventsource-parser/${name}.js`,
        (request, response) => sendFile(response, `${root}node_modules/eventsource-parser/dist/${name}.js`),
      ]),
    ),

    'POST /api/token': (request, response) => {
      const token = randomUUID();
      tokens.set(token, Date.now() + TOKEN_LIFETIME_MS);
      record(request, 200);
      sendJson(response, 200, { token, expiresIn: TOKEN_LIFETIME_MS / 1000 });
    },

    'POST /api/faults': async (request, response) => {
      const { fault } = JSON.parse((await readBody(request)) || '{}');
      // Drop cuts the answers streaming now, or the next one after a few tokens if none is.
      if (fault === 'drop') {
        if (activeChats.size === 0) faults.drop = true;
        for (const socket of activeChats) socket.destroy();
      } else if (fault === 'unavailable') faults.unavailable = true;
      else if (fault === 'slow') faults.slow = !faults.slow;
      else if (fault === 'expire') for (const token of tokens.keys()) tokens.set(token, 0);
      else return sendJson(response, 400, { error: `unknown fault "${fault}"` });
      sendJson(response, 200, { ...faults });
    },

    'POST /api/chat': async (request, response) => {
      const body = await readBody(request);
      const auth = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
      const expiry = auth ? tokens.get(auth[1]) : undefined;
      if (expiry === undefined || expiry < Date.now()) {
        record(request, 401);
        const error = auth ? (expiry === undefined ? 'invalid token' : 'token expired') : 'missing bearer token';
        return sendJson(response, 401, { error });
      }
      if (faults.unavailable) {
        faults.unavailable = false;
        record(request, 503);
        return sendJson(response, 503, { error: 'overloaded, try again shortly' }, { 'retry-after': '2' });
      }
      const { prompt = '' } = JSON.parse(body || '{}');
      const answerTokens = tokenize(answerFor(prompt));
      // Last-Event-ID is the index of the last token the client has: resume right after it.
      const from = Number(request.headers['last-event-id'] ?? -1) + 1;
      record(request, 200);
      openEventStream(response);
      response.write('retry: 1000\n\n');
      const dropAfter = faults.drop ? from + 12 : -1;
      faults.drop = false;
      let next = from;
      let stopped = false;
      activeChats.add(request.socket);
      request.on('close', () => {
        stopped = true;
        activeChats.delete(request.socket);
      });
      // A short "thinking" pause with keep-alive comments, as LLM APIs do before the first token.
      await pause(faults.slow ? 900 : 300, () => !stopped && response.write(': ping\n\n'));
      while (!stopped && next < answerTokens.length) {
        if (next === dropAfter) return void request.socket.destroy();
        response.write(`id: ${next}\ndata: ${JSON.stringify({ token: answerTokens[next] })}\n\n`);
        next += 1;
        await sleep(faults.slow ? 220 : 35);
      }
      activeChats.delete(request.socket);
      if (!stopped) response.end('data: [DONE]\n\n');
    },

    'GET /api/feed': (request, response) => {
      record(request, 200);
      openEventStream(response);
      response.write('retry: 2000\n\n');
      const timer = setInterval(() => {
        feedTick += 1;
        response.write(`id: ${feedTick}\ndata: ${JSON.stringify({ n: feedTick, time: new Date().toISOString() })}\n\n`);
      }, 1000);
      request.on('close', () => clearInterval(timer));
    },

    'GET /api/requests/stream': (request, response) => {
      openEventStream(response);
      const watcher = (entry) => response.write(`data: ${JSON.stringify(entry)}\n\n`);
      for (const entry of requests) watcher(entry);
      logWatchers.add(watcher);
      request.on('close', () => logWatchers.delete(watcher));
    },
  };

  const server = createServer((request, response) => {
    const route = routes[`${request.method} ${new URL(request.url, 'http://demo').pathname}`];
    if (!route) return sendJson(response, 404, { error: 'not found' });
    Promise.resolve(route(request, response)).catch((error) => {
      log(error);
      if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
      else response.destroy();
    });
  });
  await new Promise((resolve) => server.listen(port, host, resolve));
  const url = `http://${host}:${server.address().port}/`;
  return {
    url,
    requests,
    faults,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      }),
  };
}

/** Bundles demo/src/main.tsx; the library stays an import that the page's import map points at dist/. */
async function bundlePage() {
  const result = await build({
    entryPoints: [`${root}demo/src/main.tsx`],
    bundle: true,
    write: false,
    format: 'esm',
    minify: true,
    jsx: 'automatic',
    define: { 'process.env.NODE_ENV': '"production"' },
    external: ['fetch-eventsource'],
    logLevel: 'silent',
  });
  return { js: result.outputFiles[0].text, html: await readFile(`${root}demo/index.html`, 'utf8') };
}

function openEventStream(response) {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();
}

function send(response, status, type, body) {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

function sendJson(response, status, value, headers = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
}

async function sendFile(response, path) {
  send(response, 200, 'text/javascript; charset=utf-8', await readFile(path));
}

function readBody(request) {
  return new Promise((resolve, reject) => {
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits `ms`, calling `tick` every 150 ms meanwhile. */
async function pause(ms, tick) {
  for (let waited = 0; waited < ms; waited += 150) {
    tick();
    await sleep(Math.min(150, ms - waited));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const demo = await startDemoServer({ port: Number(process.env.PORT ?? 8787) });
  console.log(`fetch-eventsource demo: open ${demo.url}`);
}
