// @ts-check
// The demo server: node:http and nothing else at run time. Composes the page, the chat, the request
// log, the faults and the tokens; every API but the token and the model's name needs a bearer
// token, and every request from a foreign origin or host is refused before any route.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { cannedModel, upstreamFromEnv, upstreamModel } from '../model.mjs';
import { chatRoutes } from './chat.mjs';
import { createFaults } from './faults.mjs';
import { bearer, foreign, openEventStream, parseJson, readBody, Refusal, sendJson } from './http.mjs';
import { createRequestLog } from './log.mjs';
import { pageRoutes } from './page.mjs';
import { countReaders, openStore } from './store.mjs';
import { signedTokens } from './tokens.mjs';

/**
 * @typedef {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => unknown} Route
 */

/**
 * @typedef {object} DemoOptions
 * @property {number} [port] Where to listen; 0 picks a free port (8787 by default).
 * @property {string} [host] 127.0.0.1 by default.
 * @property {(...args: unknown[]) => void} [log] Where unexpected errors go (console.log by default).
 * @property {{ baseUrl: string, apiKey?: string | undefined, model: string } | undefined} [upstream] An
 *   OpenAI-compatible API to proxy instead of the canned model (from LLM_BASE_URL by default).
 * @property {number} [pace] Milliseconds between two words of the canned model (35).
 * @property {number} [tokenLifetime] Milliseconds a token works (10 minutes).
 * @property {number} [grace] Milliseconds an answer goes on generating with nobody reading it (15 s).
 * @property {string | undefined} [redisUrl] Keeps the answers in this Redis, shared by every instance
 *   that uses it (REDIS_URL by default).
 * @property {string} [instance] This instance's name in the request log (INSTANCE, else "demo").
 * @property {string} [secret] What tokens and answer ids are signed with: instances that share it accept
 *   each other's tokens (DEMO_SECRET, else random).
 */

/**
 * Starts the demo and resolves once it listens.
 * @param {DemoOptions} [options]
 */
export async function startDemoServer({
  port = 8787,
  host = '127.0.0.1',
  log: logError = console.log,
  upstream = upstreamFromEnv(),
  pace = 35,
  grace = 15_000,
  tokenLifetime = 10 * 60_000,
  redisUrl = process.env.REDIS_URL,
  instance = process.env.INSTANCE ?? 'demo',
  secret = process.env.DEMO_SECRET ?? randomUUID(),
} = {}) {
  const { store: answers, redis } = await openStore(redisUrl);
  const log = await createRequestLog({ instance, redis });
  const tokens = signedTokens(secret);
  const faults = createFaults();
  const generate = upstream ? upstreamModel(upstream) : cannedModel({ slow: () => faults.state.slow, pace });

  /**
   * The claims of the request's bearer token, or a 401 saying why there are none.
   * @param {import('node:http').IncomingMessage} request
   */
  function authorize(request) {
    const token = bearer(request);
    /** @type {{ claims: import('./tokens.mjs').TokenClaims | undefined, refusal: string | undefined }} */
    const { claims, refusal } = token ? tokens.check(token) : { claims: undefined, refusal: 'missing bearer token' };
    // The reason as a header too: the page's `onerror` is synchronous and cannot read the body.
    if (refusal || !claims) throw new Refusal(401, refusal ?? 'invalid token', { 'x-token-refusal': refusal ?? '' });
    return claims;
  }

  const chat = chatRoutes({
    answers,
    readers: countReaders(redis?.client),
    tokens,
    authorize,
    log,
    faults,
    generate,
    grace,
    instance,
  });

  /** @type {Record<string, Route>} */
  const routes = {
    ...(await pageRoutes()),
    ...chat.routes,

    // A token for a new session, or, with a token that still works, a renewed one for the same session
    // (the session owns its answers, so renewing keeps them).
    'POST /api/token': (request, response) => {
      const held = bearer(request);
      const { claims, refusal } = held ? tokens.check(held) : { claims: undefined, refusal: 'none' };
      const session = refusal ? undefined : claims?.session;
      const token = tokens.issue(Date.now() + tokenLifetime, session);
      log.record(request, 200, session ? 'token renewed' : 'new session');
      sendJson(response, 200, { token, expiresIn: tokenLifetime / 1000, renewed: Boolean(session) });
    },

    'POST /api/faults': async (request, response) => {
      const { fault } = parseJson(await readBody(request));
      authorize(request);
      // Drop cuts the answers streaming now, or, if none is, the next one after a few tokens.
      if (fault === 'drop') {
        if (!chat.dropStreaming()) faults.set('drop');
      } else if (fault === 'unavailable' || fault === 'slow') faults.set(fault);
      else if (fault === 'expire') tokens.expireAll();
      else throw new Refusal(400, `unknown fault "${String(fault)}"`);
      log.record(request, 200, `fault ${String(fault)}`);
      sendJson(response, 200, { ...faults.state });
    },

    // Which model answers: the canned one, or the upstream's model and host (never its path or query).
    'GET /api/model': (_request, response) =>
      sendJson(response, 200, {
        model: upstream ? `${upstream.model} at ${new URL(upstream.baseUrl).host}` : 'the built-in canned model',
      }),

    // A public GET stream for the ticker: it pauses while the page is hidden.
    'GET /api/feed': (request, response) => {
      log.record(request, 200);
      openEventStream(response);
      response.write('retry: 2000\n\n');
      let tick = Number(request.headers['last-event-id'] ?? 0) || 0;
      const timer = setInterval(() => {
        tick += 1;
        response.write(`id: ${tick}\ndata: ${JSON.stringify({ n: tick, time: new Date().toISOString() })}\n\n`);
      }, 1000);
      request.on('close', () => clearInterval(timer));
    },

    // The request log, then each new line, and the faults' state (`event: faults`) as it changes.
    'GET /api/requests/stream': (request, response) => {
      authorize(request);
      openEventStream(response);
      const unwatchLog = log.watch((entry) => response.write(`data: ${JSON.stringify(entry)}\n\n`));
      const unwatchFaults = faults.watch((state) =>
        response.write(`event: faults\ndata: ${JSON.stringify(state)}\n\n`),
      );
      request.on('close', () => (unwatchLog(), unwatchFaults()));
    },
  };

  const server = createServer((request, response) => {
    const route = routes[`${request.method} ${new URL(request.url ?? '/', 'http://demo').pathname}`];
    if (!route) return sendJson(response, 404, { error: 'not found' });
    const refusal = foreign(request);
    if (refusal) {
      log.record(request, 403, refusal);
      return sendJson(response, 403, { error: refusal });
    }
    // (Called in a promise: a route that throws at once is answered like one that rejects.)
    Promise.resolve(request)
      .then(() => route(request, response))
      .catch((error) => {
        if (error instanceof Refusal) {
          log.record(request, error.status, error.message);
          if (!response.headersSent) return sendJson(response, error.status, { error: error.message }, error.headers);
          return response.destroy();
        }
        logError(error);
        if (!response.headersSent) sendJson(response, 500, { error: 'internal error' });
        else response.destroy();
      });
  });
  await new Promise((resolve) => server.listen(port, host, () => resolve(undefined)));
  const address = /** @type {import('node:net').AddressInfo} */ (server.address());
  return {
    url: `http://${host}:${address.port}/`,
    /** What the server saw of every API request, newest last. */
    requests: log.entries,
    faults: faults.state,
    close: async () => {
      await new Promise((resolve) => {
        server.closeAllConnections();
        server.close(resolve);
      });
      if (redis) {
        await answers.close?.();
        await redis.subscriber.close();
        await redis.client.close();
      }
    },
  };
}
