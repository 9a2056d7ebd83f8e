// @ts-check
// The demo server: node:http and nothing else at run time. Composes the page, the chat, the request
// log, the faults and the tokens; every API but the token and the model's name needs a bearer
// token, and every request from a foreign origin or host is refused before any route.
import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';
import { cannedModel, upstreamFromEnv, upstreamModel } from '../model.mjs';
import { aiSdkRoutes } from './ai-sdk.mjs';
import { chatRoutes } from './chat.mjs';
import { createFaults } from './faults.mjs';
import { apiRoutes } from './api.mjs';
import { foreign, Refusal, sendJson } from './http.mjs';
import { createRequestLog } from './log.mjs';
import { pageRoutes } from './page.mjs';
import { openStore } from './store.mjs';
import { signedTokens } from './tokens.mjs';

/**
 * @typedef {(request: import('node:http').IncomingMessage, response: import('node:http').ServerResponse) => unknown} Route
 */

/**
 * @typedef {object} DemoOptions
 * @property {number} [port] Where to listen; 0 picks a free port (8787 by default).
 * @property {string} [host] 127.0.0.1 by default.
 * @property {(...args: unknown[]) => void} [log] Where unexpected errors go (console.log by default).
 * @property {{ baseUrl: string, apiKey?: string | undefined, model: string, idleTimeout?: number } | undefined} [upstream] An
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
  const { store: answers, redis } = await openStore(redisUrl, grace);
  const log = await createRequestLog({ instance, redis });
  const faults = await createFaults(redis);
  const tokens = signedTokens(secret, () => faults.state.validFrom);
  const generate = upstream ? upstreamModel(upstream) : cannedModel({ slow: () => faults.state.slow, pace });

  const chat = chatRoutes({ answers, tokens, log, faults, generate, instance });
  const aiSdk = aiSdkRoutes({ answers, generate });

  /** @type {Record<string, Route>} */
  const routes = {
    ...(await pageRoutes()),
    ...chat.routes,
    ...aiSdk.routes,

    ...apiRoutes({ tokens, faults, log, upstream, tokenLifetime }),
  };

  const server = createServer((request, response) => {
    const { pathname } = new URL(request.url ?? '/', 'http://demo');
    // The AI SDK's resume route names its chat in the path.
    const resumed = request.method === 'GET' ? /^\/api\/ai-sdk\/chat\/([\w-]+)\/stream$/.exec(pathname) : null;
    const route = resumed
      ? /** @type {Route} */ (incoming, outgoing) => aiSdk.resume(incoming, outgoing, resumed[1] ?? '')
      : routes[`${request.method} ${pathname}`];
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
    /** How many client connections are open now (none is kept for an answer nobody reads). */
    connections: () =>
      /** @type {Promise<number>} */ (
        new Promise((resolve) => server.getConnections((_error, count) => resolve(count)))
      ),
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
