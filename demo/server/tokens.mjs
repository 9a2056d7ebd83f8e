// @ts-check
// Bearer tokens for the demo's APIs: signed, so any instance with the same secret checks them and none
// keeps a list; and each carries a session id, so an answer belongs to the session that asked for it.
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { bearer, Refusal } from './http.mjs';

/**
 * @typedef {object} TokenClaims
 * @property {string} session Who holds the token: kept when the token is renewed, new otherwise.
 * @property {number} expiry When the token stops working (ms since epoch).
 */

/**
 * @param {string} secret What tokens and answer ids are signed with (HMAC-SHA256).
 * @param {() => number} validFrom Tokens issued before this (ms since epoch) are refused: the "expire
 *   the token" fault moves it, for the whole deployment.
 */
export function signedTokens(secret, validFrom) {
  /** @param {string} payload */
  const sign = (payload) => createHmac('sha256', secret).update(payload).digest('base64url');
  /** @param {string} actual @param {string} expected */
  const same = (actual, expected) =>
    actual.length === expected.length && timingSafeEqual(Buffer.from(actual), Buffer.from(expected));

  return {
    /**
     * A token for `session` (a new session when none is given) that works until `expiry`.
     * @param {number} expiry
     * @param {string} [session]
     */
    issue(expiry, session = randomBytes(9).toString('base64url')) {
      const payload = `${session}.${Date.now()}.${expiry}`;
      return `${payload}.${sign(payload)}`;
    },

    /**
     * What a token says, once its signature is checked, and why it does not work now, if it does not.
     * @param {string} token
     * @returns {{ claims: TokenClaims, refusal: 'token expired' | undefined } | { claims: undefined, refusal: 'invalid token' }}
     */
    check(token) {
      const parts = token.split('.');
      const signature = parts.pop() ?? '';
      if (parts.length !== 3 || !same(signature, sign(parts.join('.')))) {
        return { claims: undefined, refusal: 'invalid token' };
      }
      const [session = '', issued, expiry] = parts;
      const claims = { session, expiry: Number(expiry) };
      const expired = Number(issued) < validFrom() || claims.expiry < Date.now();
      return { claims, refusal: expired ? 'token expired' : undefined };
    },

    /**
     * The claims of the request's bearer token, or a 401 saying why there are none.
     * @param {import('node:http').IncomingMessage} request
     * @returns {TokenClaims}
     */
    authorize(request) {
      const token = bearer(request);
      const { claims, refusal } = token ? this.check(token) : { claims: undefined, refusal: 'missing bearer token' };
      // The reason as a header too: the page's `onerror` is synchronous and cannot read the body.
      if (refusal || !claims) throw new Refusal(401, refusal ?? 'invalid token', { 'x-token-refusal': refusal ?? '' });
      return claims;
    },

    /**
     * A new answer id that says which session owns it: a random part and its signature for the
     * session, so any instance checks ownership without a lookup.
     * @param {string} session
     */
    answerId(session) {
      const random = randomBytes(6).toString('base64url');
      return `${random}${sign(`${session}:${random}`).slice(0, 8)}`;
    },

    /**
     * @param {string} answerId
     * @param {string} session
     */
    owns(session, answerId) {
      return answerId.length === 16 && same(answerId.slice(8), sign(`${session}:${answerId.slice(0, 8)}`).slice(0, 8));
    },
  };
}
