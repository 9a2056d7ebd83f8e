// @ts-check
// The demo's small APIs: tokens, the faults, which model answers, the ticker's feed, and the request log
// as a stream. (The chat's own are in chat.mjs, the page's in page.mjs.)
import { bearer, openEventStream, parseJson, readBody, Refusal, sendJson } from './http.mjs';

/**
 * @param {object} deps
 * @param {ReturnType<typeof import('./tokens.mjs').signedTokens>} deps.tokens
 * @param {Awaited<ReturnType<typeof import('./faults.mjs').createFaults>>} deps.faults
 * @param {Awaited<ReturnType<typeof import('./log.mjs').createRequestLog>>} deps.log
 * @param {{ baseUrl: string, model: string } | undefined} deps.upstream
 * @param {number} deps.tokenLifetime
 * @returns {Record<string, import('./app.mjs').Route>}
 */
export function apiRoutes({ tokens, faults, log, upstream, tokenLifetime }) {
  return {
    // A token for a new session, or, with a token that still works, a renewed one for the same session
    // (the session owns its answers, so renewing keeps them).
    'POST /api/token': (request, response) => {
      const held = bearer(request);
      const { claims } = held ? tokens.check(held) : { claims: undefined };
      // A token the server signed keeps its session when renewed, expired or not: it is the same page
      // (after "Expire the token" too), and its answers stay its own. A real app would check a refresh
      // token here. An invalid one has no claims: a new session.
      const session = claims?.session;
      const token = tokens.issue(Date.now() + tokenLifetime, session);
      log.record(request, 200, session ? 'token renewed' : 'new session');
      sendJson(response, 200, { token, expiresIn: tokenLifetime / 1000 });
    },

    'POST /api/faults': async (request, response) => {
      const { fault } = parseJson(await readBody(request));
      tokens.authorize(request);
      // Faults are the deployment's: whichever instance gets the click, every instance sees it. Drop
      // cuts the answer streaming now, on whichever instance streams it, or, if none is, the next one
      // after a few tokens.
      if (fault === 'drop') await faults.drop();
      else if (fault === 'unavailable' || fault === 'slow') await faults.set(fault);
      else if (fault === 'expire') await faults.set('validFrom', Date.now() + 1);
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
      tokens.authorize(request);
      openEventStream(response);
      const unwatchLog = log.watch((entry) => response.write(`data: ${JSON.stringify(entry)}\n\n`));
      const unwatchFaults = faults.watch((state) =>
        response.write(`event: faults\ndata: ${JSON.stringify(state)}\n\n`),
      );
      request.on('close', () => (unwatchLog(), unwatchFaults()));
    },
  };
}
