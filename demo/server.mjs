// The demo server: node:http and nothing else at run time. `npm run demo` builds the library,
// then runs this file, which bundles the page (React + fetch-eventsource/react) with esbuild into
// memory and serves it, the built library (dist/) and the APIs below on 127.0.0.1.
//
// A chat: each POST /api/chat carries the conversation so far and starts an answer, generated once
// under an answer id by the built-in canned model or, with LLM_BASE_URL set, an OpenAI-compatible
// upstream. The answers live in fetch-eventsource/server's store: in memory, or in Redis with
// REDIS_URL, so any instance can resume an answer another one generates (`npm run demo:cluster`).
// Event ids are `<answer id>:<position>`, so a Last-Event-ID alone says which answer to resume and
// where: after a dropped connection (the library re-sends the POST) or a page reload (the page
// passes the id it kept as `lastEventId`).
import { createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import {
  eventStreamResponse,
  InvalidEventIdError,
  memoryStore,
  redisStore,
  StreamNotFoundError,
} from '../dist/server.js';
import { cannedModel, upstreamFromEnv, upstreamModel } from './model.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));
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
  grace = 15_000,
  tokenLifetime = 10 * 60_000,
  redisUrl = process.env.REDIS_URL,
  instance = process.env.INSTANCE ?? 'demo',
  // Tokens are signed with it, so every instance that shares it accepts them (none keeps them).
  secret = process.env.DEMO_SECRET ?? randomUUID(),
} = {}) {
  const page = await bundlePage();
  const { store: answers, redis } = await openStore(redisUrl);
  const watchers = countWatchers(redis?.client);
  const tokens = signedTokens(secret);
  const faults = { drop: false, unavailable: false, slow: false };
  const generate = upstream ? upstreamModel(upstream) : cannedModel({ slow: () => faults.slow, pace });
  /** What the server saw of every API request, newest last: the page shows it. */
  const requests = [];
  const logWatchers = new Set();
  let feedTick = 0;
  /** Sockets of the chat answers being streamed now: "drop" cuts them. */
  const activeChats = new Set();

  /** A line in the request log that is not a request: what happened to an answer. */
  function note(text) {
    publish({ time: new Date().toISOString(), method: '', path: '', status: '', note: text });
  }

  function record(request, status, noteText = '') {
    publish({
      instance,
      time: new Date().toISOString(),
      method: request.method,
      path: new URL(request.url, 'http://demo').pathname,
      lastEventId: request.headers['last-event-id'] ?? null,
      status,
      note: noteText,
    });
  }

  // With Redis, every instance's log lines go through one channel, so each instance's log (and the
  // page) shows what all of them served.
  let sequence = 0;
  const logChannel = 'demo:log';
  function keep(entry) {
    entry.n = ++sequence;
    requests.push(entry);
    if (requests.length > 500) requests.shift();
    for (const watcher of logWatchers) watcher(entry);
  }
  function publish(entry) {
    entry.instance ??= instance;
    if (redis) redis.client.publish(logChannel, JSON.stringify(entry)).catch(() => keep(entry));
    else keep(entry);
  }
  if (redis) await redis.subscriber.subscribe(logChannel, (message) => keep(JSON.parse(message)));

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
      const token = tokens.issue(Date.now() + tokenLifetime);
      record(request, 200);
      sendJson(response, 200, { token, expiresIn: tokenLifetime / 1000 });
    },

    'POST /api/faults': async (request, response) => {
      const { fault } = parseJson(await readBody(request));
      // Drop cuts the answers streaming now, or the next one after a few tokens if none is.
      if (fault === 'drop') {
        if (activeChats.size === 0) faults.drop = true;
        for (const socket of activeChats) socket.destroy();
      } else if (fault === 'unavailable') faults.unavailable = true;
      else if (fault === 'slow') faults.slow = !faults.slow;
      else if (fault === 'expire') tokens.expireAll();
      else return sendJson(response, 400, { error: `unknown fault "${fault}"` });
      sendJson(response, 200, { ...faults });
    },

    'POST /api/chat': async (request, response) => {
      const body = await readBody(request);
      const auth = /^Bearer (.+)$/.exec(request.headers.authorization ?? '');
      const expiry = auth ? tokens.expiryOf(auth[1]) : undefined;
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
      const reading = new AbortController();
      response.once('close', () => reading.abort());
      // A Last-Event-ID names the answer and the last event the client has: resume right after it.
      const lastEventId = request.headers['last-event-id'];
      if (lastEventId !== undefined) {
        let events;
        try {
          events = await answers.resume(lastEventId, { signal: reading.signal });
        } catch (error) {
          if (!(error instanceof StreamNotFoundError || error instanceof InvalidEventIdError)) throw error;
          const gone = error instanceof StreamNotFoundError;
          record(request, gone ? 410 : 400, gone ? 'unknown answer' : 'malformed Last-Event-ID');
          const message = gone ? 'this answer has expired or never existed; ask again' : error.message;
          return sendJson(response, gone ? 410 : 400, { error: message });
        }
        const at = lastEventId.lastIndexOf(':');
        record(request, 200, `resume answer ${lastEventId.slice(0, at)} after token ${lastEventId.slice(at + 1)}`);
        return streamAnswer(request, response, events, lastEventId.slice(0, at));
      }
      const messages = readConversation(body);
      if (typeof messages === 'string') {
        const status = messages.startsWith('message too long') ? 413 : 400;
        record(request, status, messages);
        return sendJson(response, status, { error: messages });
      }
      const id = randomUUID().slice(0, 8);
      await answers.start(id, answer(id, messages));
      record(request, 200, `new answer ${id}, turn ${messages.filter((m) => m.role === 'user').length}`);
      return streamAnswer(request, response, await answers.read(id, { signal: reading.signal }), id);
    },

    'POST /api/answers/stop': async (request, response) => {
      const { id } = parseJson(await readBody(request));
      if (typeof id !== 'string' || !/^[\w-]{1,64}$/.test(id))
        return sendJson(response, 400, { error: 'expected { id }' });
      // Ends the generation wherever it runs; the producing instance logs how far it got.
      await answers.stop(id);
      record(request, 200, `stop answer ${id}`);
      sendJson(response, 200, { id, state: 'stopped' });
    },

    // Which model answers: the canned one, or the upstream's model and host (never its path or query).
    'GET /api/model': (request, response) =>
      sendJson(response, 200, {
        model: upstream ? `${upstream.model} at ${new URL(upstream.baseUrl).host}` : 'the built-in canned model',
      }),

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

  /**
   * The answer `id` to `messages`, as the store runs it once: its id first, then each token, then
   * `[DONE]`; a failure of the model is an `error` event, then `[DONE]`. A stop (from any instance)
   * aborts `signal`, which ends the model's request too.
   */
  function answer(id, messages) {
    return async function* (signal) {
      // The answer's id comes first, with an id of its own, so even a drop before the first token
      // resumes this answer rather than starting another.
      yield { event: 'answer', data: JSON.stringify({ id }), retry: 1000 };
      let count = 0;
      let failure;
      // An answer nobody has been connected to for `grace` ms stops: no paid tokens for nobody.
      let abandoned = false;
      let emptySince;
      const checkWatchers = setInterval(
        () => {
          void watchers.count(id).then((connected) => {
            if (connected > 0) return void (emptySince = undefined);
            emptySince ??= Date.now();
            if (Date.now() - emptySince < grace || abandoned) return;
            abandoned = true;
            void answers.stop(id);
          });
        },
        Math.min(1000, grace / 3),
      );
      try {
        for await (const token of generate(messages, signal)) {
          count += 1;
          yield { data: JSON.stringify({ token }) };
        }
      } catch (error) {
        failure = error;
      } finally {
        clearInterval(checkWatchers);
      }
      if (signal.aborted) return note(`answer ${id} ${abandoned ? 'abandoned' : 'stopped'} after ${count} tokens`);
      if (failure) {
        note(`answer ${id} failed after ${count} tokens`);
        yield {
          event: 'error',
          data: JSON.stringify({ message: failure instanceof Error ? failure.message : String(failure) }),
        };
      } else note(`answer ${id} done after ${count} tokens`);
      yield { data: '[DONE]' };
    };
  }

  /** Streams an answer's events to the client; the "drop" fault cuts the connection after 12 of them. */
  async function streamAnswer(request, response, events, id) {
    await watchers.enter(id);
    const web = eventStreamResponse(events);
    response.writeHead(200, { ...Object.fromEntries(web.headers), 'cache-control': 'no-store' });
    response.flushHeaders();
    const dropAfter = faults.drop ? 12 : Infinity;
    faults.drop = false;
    activeChats.add(request.socket);
    request.on('close', () => activeChats.delete(request.socket));
    let sent = 0;
    try {
      for await (const chunk of web.body) {
        if (response.destroyed) break;
        response.write(chunk);
        if (++sent >= dropAfter) return void request.socket.destroy();
      }
      response.end();
    } finally {
      activeChats.delete(request.socket);
      await watchers.leave(id);
    }
  }

  const server = createServer((request, response) => {
    const route = routes[`${request.method} ${new URL(request.url, 'http://demo').pathname}`];
    if (!route) return sendJson(response, 404, { error: 'not found' });
    // A request from another site (a foreign page posting `text/plain`), or through a name that is not
    // this machine's (DNS rebinding, to mint tokens and spend LLM_API_KEY): refused before any route.
    const refusal = foreign(request);
    if (refusal) return sendJson(response, 403, { error: refusal });
    Promise.resolve(route(request, response)).catch((error) => {
      if (error instanceof BadRequest) {
        if (!response.headersSent) return sendJson(response, error.status, { error: error.message });
        return response.destroy();
      }
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
    close: async () => {
      await new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      });
      if (redis) {
        await answers.close();
        await redis.subscriber.close();
        await redis.client.close();
      }
    },
  };
}

/** The answers' store: in Redis when `redisUrl` is set (then shared by every instance), else in memory. */
async function openStore(redisUrl) {
  if (!redisUrl) return { store: memoryStore(), redis: undefined };
  const { createClient } = await import('redis');
  const client = createClient({ url: redisUrl });
  client.on('error', (error) => console.error(`Redis: ${error.message}`));
  await client.connect();
  const subscriber = client.duplicate();
  subscriber.on('error', () => {});
  await subscriber.connect();
  return { store: redisStore(client, { prefix: 'demo:' }), redis: { client, subscriber } };
}

/**
 * How many clients are reading each answer now, on every instance: in Redis when there is one (the
 * instance that generates an answer is seldom the one a reloaded page reads it from), else here.
 */
function countWatchers(client) {
  if (!client) {
    const counts = new Map();
    return {
      enter: async (id) => void counts.set(id, (counts.get(id) ?? 0) + 1),
      leave: async (id) => {
        const left = (counts.get(id) ?? 1) - 1;
        if (left > 0) counts.set(id, left);
        else counts.delete(id);
      },
      count: async (id) => counts.get(id) ?? 0,
    };
  }
  const key = (id) => `demo:{${id}}:watchers`;
  return {
    enter: async (id) => void (await client.multi().incr(key(id)).pExpire(key(id), 3_600_000).exec()),
    leave: async (id) => void (await client.decr(key(id)).catch(() => {})),
    count: async (id) => Number((await client.get(key(id)).catch(() => '1')) ?? 0),
  };
}

/**
 * Bearer tokens that carry their expiry, signed with `secret` (HMAC-SHA256): any instance with the
 * same secret checks them, and none keeps a list. `expireAll()` (a fault button) makes every token
 * issued so far invalid by moving a cut-off forward.
 */
function signedTokens(secret) {
  let validFrom = 0;
  const sign = (payload) => createHmac('sha256', secret).update(payload).digest('base64url');
  return {
    issue(expiry) {
      const payload = `${Date.now()}.${expiry}`;
      return `${payload}.${sign(payload)}`;
    },
    /** The token's expiry (ms since epoch), or undefined if it is not one of ours. */
    expiryOf(token) {
      const [issued, expiry, signature = ''] = token.split('.');
      const expected = sign(`${issued}.${expiry}`);
      if (signature.length !== expected.length || !timingSafeEqual(Buffer.from(signature), Buffer.from(expected))) {
        return undefined;
      }
      return Number(issued) < validFrom ? 0 : Number(expiry);
    },
    expireAll() {
      validFrom = Date.now() + 1;
    },
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

/** The longest request body the demo reads, in bytes: a conversation of long turns fits. */
const MAX_BODY = 256 * 1024;

/** A request the demo refuses with `status` (400, 413) and a message, whatever route it reached. */
class BadRequest extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The request body as text; past MAX_BODY bytes, a 413 before the rest is read. */
function readBody(request) {
  return new Promise((resolve, reject) => {
    let body = '';
    let size = Number(request.headers['content-length'] ?? 0);
    if (size > MAX_BODY) return reject(new BadRequest(413, `request body too large: ${MAX_BODY} bytes at most`));
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      size += Buffer.byteLength(chunk);
      if (size > MAX_BODY) {
        reject(new BadRequest(413, `request body too large: ${MAX_BODY} bytes at most`));
        request.destroy();
      } else body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

/** A JSON object body, `{}` when empty; malformed JSON is a 400, not a 500. */
function parseJson(body) {
  try {
    const value = JSON.parse(body || '{}');
    if (typeof value === 'object' && value !== null) return value;
  } catch {
    // answered below
  }
  throw new BadRequest(400, 'malformed JSON body');
}

/**
 * Why a request is refused as foreign, or undefined: its Host must name this machine (127.0.0.1,
 * localhost, [::1], or a name in DEMO_HOSTS), and an Origin, when the browser sends one, must be
 * that same host.
 */
function foreign(request) {
  const host = request.headers.host ?? '';
  const name = host.replace(/:\d+$/, '');
  const allowed = ['127.0.0.1', 'localhost', '[::1]', ...(process.env.DEMO_HOSTS?.split(',') ?? [])];
  if (!allowed.includes(name)) return `unknown host "${name}" (set DEMO_HOSTS to serve it)`;
  const origin = request.headers.origin;
  if (origin !== undefined && origin !== 'null' && URL.canParse(origin) && new URL(origin).host !== host) {
    return 'cross-origin request refused';
  }
  if (origin === 'null') return 'cross-origin request refused';
  return undefined;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const demo = await startDemoServer({ port: Number(process.env.PORT ?? 8787) });
  console.log(`fetch-eventsource demo: open ${demo.url}`);
}
