// The demo server: node:http and nothing else at run time. `npm run demo` builds the library,
// then runs this file, which bundles the page (React + fetch-eventsource/react) with esbuild into
// memory and serves it, the built library (dist/) and the APIs below on 127.0.0.1.
//
// A chat: each POST /api/chat carries the conversation so far and starts an answer, generated once
// under an answer id by the built-in canned model or, with LLM_BASE_URL set, an OpenAI-compatible
// upstream. Event ids are `<answer id>:<token index>`, so a Last-Event-ID alone says which answer to
// resume and where: after a dropped connection (the library re-sends the POST) or a page reload
// (the page passes the id it kept as `lastEventId`).
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { createAnswerStore } from './answers-store.mjs';
import { cannedModel, upstreamFromEnv, upstreamModel } from './model.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
const TOKEN_LIFETIME_MS = 10 * 60_000;
/** The longest message the demo takes, in characters. */
export const MAX_MESSAGE = 4000;

/**
 * Starts the demo on `host:port` (port 0 picks a free one) and resolves once it listens.
 * `upstream` ({ baseUrl, apiKey, model }) proxies an OpenAI-compatible API instead of the canned model,
 * whose `pace` is the ms between two words.
 */
export async function startDemoServer({
  port = 8787,
  host = '127.0.0.1',
  log = console.log,
  upstream = upstreamFromEnv(),
  pace = 35,
} = {}) {
  const page = await bundlePage();
  const tokens = new Map(); // token → expiry time
  const faults = { drop: false, unavailable: false, slow: false };
  const generate = upstream ? upstreamModel(upstream) : cannedModel({ slow: () => faults.slow, pace });
  /** What the server saw of every API request, newest last: the page shows it. */
  const requests = [];
  const logWatchers = new Set();
  let feedTick = 0;
  /** Sockets of the chat answers being streamed now: "drop" cuts them. */
  const activeChats = new Set();
  const answers = createAnswerStore({
    onEnd: (answer) => note(`answer ${answer.id} ${answer.state} after ${answer.tokens.length} tokens`),
  });

  /** A line in the request log that is not a request: what happened to an answer. */
  function note(text) {
    publish({ time: new Date().toISOString(), method: '', path: '', status: '', note: text });
  }

  function record(request, status, noteText = '') {
    publish({
      time: new Date().toISOString(),
      method: request.method,
      path: new URL(request.url, 'http://demo').pathname,
      lastEventId: request.headers['last-event-id'] ?? null,
      status,
      note: noteText,
    });
  }

  let sequence = 0;
  function publish(entry) {
    entry.n = ++sequence;
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
      // A Last-Event-ID names the answer and the last token the client has: resume right after it.
      const lastEventId = request.headers['last-event-id'];
      if (lastEventId !== undefined) {
        const [, id, index] = /^([\w-]+):(-?\d+)$/.exec(lastEventId) ?? [];
        const answer = id === undefined ? undefined : answers.get(id);
        if (!answer) {
          record(request, 410, 'unknown answer');
          return sendJson(response, 410, { error: 'this answer has expired or never existed; ask again' });
        }
        record(request, 200, `resume answer ${answer.id} after token ${index}`);
        return streamAnswer(request, response, answer, Number(index) + 1);
      }
      const messages = readConversation(body);
      if (typeof messages === 'string') {
        const status = messages.startsWith('message too long') ? 413 : 400;
        record(request, status, messages);
        return sendJson(response, status, { error: messages });
      }
      const answer = answers.create(messages, generate);
      record(request, 200, `new answer ${answer.id}, turn ${messages.filter((m) => m.role === 'user').length}`);
      streamAnswer(request, response, answer, 0);
    },

    'POST /api/answers/stop': async (request, response) => {
      const { id } = JSON.parse((await readBody(request)) || '{}');
      const answer = answers.get(id);
      if (!answer) return sendJson(response, 410, { error: 'unknown answer' });
      const stopped = answers.cancel(answer, 'stopped');
      record(request, 200, `stop answer ${id}${stopped ? '' : ' (already ended)'}`);
      sendJson(response, 200, { id, state: answer.state, tokens: answer.tokens.length });
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

  /** Streams `answer` from token `from` on: what it has, then each token as the model makes it. */
  function streamAnswer(request, response, answer, from) {
    openEventStream(response);
    // The answer's id comes first, with an id of its own, so even a drop before the first token
    // resumes this answer rather than starting another.
    response.write(
      `retry: 1000\nid: ${answer.id}:${from - 1}\nevent: answer\ndata: ${JSON.stringify({ id: answer.id })}\n\n`,
    );
    const dropAfter = faults.drop ? from + 12 : -1;
    faults.drop = false;
    let next = from;
    const send = () => {
      while (next < answer.tokens.length) {
        if (next === dropAfter) return void request.socket.destroy();
        const data = JSON.stringify({ token: answer.tokens[next] });
        response.write(`id: ${answer.id}:${next}\ndata: ${data}\n\n`);
        next += 1;
      }
      if (answer.state === 'generating') return;
      if (answer.state === 'failed')
        response.write(`event: error\ndata: ${JSON.stringify({ message: answer.error })}\n\n`);
      else if (answer.state !== 'done') response.write(`event: ${answer.state}\ndata: {}\n\n`);
      response.end('data: [DONE]\n\n');
    };
    activeChats.add(request.socket);
    const unsubscribe = answers.subscribe(answer, send);
    request.on('close', () => {
      unsubscribe();
      activeChats.delete(request.socket);
    });
    send();
  }

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
    // The hook is bundled with React (one copy of React); the library it imports stays external,
    // for the import map to point at dist/.
    alias: { 'fetch-eventsource/react': `${root}dist/react.js` },
    external: ['fetch-eventsource'],
    logLevel: 'silent',
  });
  return { js: result.outputFiles[0].text, html: await readFile(`${root}demo/index.html`, 'utf8') };
}

/**
 * The conversation of a new answer: `{ messages: [{ role, content }] }` ending with the user's turn
 * (or `{ prompt }`, a single turn). A string says what is wrong with it.
 */
function readConversation(body) {
  let parsed;
  try {
    parsed = JSON.parse(body);
  } catch {
    return 'malformed JSON body';
  }
  const messages = typeof parsed?.prompt === 'string' ? [{ role: 'user', content: parsed.prompt }] : parsed?.messages;
  const valid =
    Array.isArray(messages) &&
    messages.every((m) => (m?.role === 'user' || m?.role === 'assistant') && typeof m.content === 'string');
  if (!valid || messages.at(-1)?.role !== 'user')
    return 'expected { messages: [{ role, content }] } ending with a user message';
  const last = messages.at(-1).content;
  if (last.trim() === '') return 'empty message';
  if (last.length > MAX_MESSAGE) return `message too long: ${MAX_MESSAGE} characters at most`;
  return messages.map(({ role, content }) => ({ role, content }));
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
