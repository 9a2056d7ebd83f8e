// The page's bearer token: kept in sessionStorage, so a reload keeps the session that owns its
// answers (a reloaded page resumes only its own), and renewed before it expires.

interface HeldToken {
  value: string;
  /** When it stops working (ms since epoch). */
  expiresAt: number;
}

const STORAGE_KEY = 'fetch-eventsource-demo-token';
let pending: Promise<string> | null = null;

function held(): HeldToken | null {
  try {
    return JSON.parse(sessionStorage.getItem(STORAGE_KEY) ?? 'null') as HeldToken | null;
  } catch {
    return null;
  }
}

/**
 * The token we hold, or a renewed one when it expires within 30 s (the same session, while it still
 * works), or a new one when we hold none. Concurrent callers share one request.
 */
export function freshToken(): Promise<string> {
  const token = held();
  if (token && token.expiresAt - Date.now() >= 30_000) return Promise.resolve(token.value);
  pending ??= (async () => {
    try {
      const response = await fetch('/api/token', {
        method: 'POST',
        headers: token ? { Authorization: `Bearer ${token.value}` } : {},
      });
      const issued = (await response.json()) as { token: string; expiresIn: number };
      sessionStorage.setItem(
        STORAGE_KEY,
        JSON.stringify({ value: issued.token, expiresAt: Date.now() + issued.expiresIn * 1000 }),
      );
      return issued.token;
    } catch (error) {
      // The server is out of reach (the page is offline, say) while the token we hold still works:
      // it goes with the request, whose own failure or wait then tells what happened.
      if (token && token.expiresAt > Date.now()) return token.value;
      throw error;
    } finally {
      pending = null;
    }
  })();
  return pending;
}

/**
 * Marks the token we hold as run out (the server refused it): the next call to freshToken renews it,
 * sending it along, so the server keeps the session it signed (after "Expire the token" too) and the
 * page's answers stay its own; a token the server never signed (it restarted) gets a new session.
 */
export function expireToken(): void {
  const token = held();
  if (token) sessionStorage.setItem(STORAGE_KEY, JSON.stringify({ ...token, expiresAt: 0 }));
}

/**
 * A POST of `body` to `url` with our token; if the server refuses the token (401: expired, or a server
 * that restarted), once more with a new one.
 */
export async function postWithToken(url: string, body: unknown): Promise<Response> {
  const post = async () => fetch(url, { method: 'POST', headers: await authorized(), body: JSON.stringify(body) });
  const response = await post();
  if (response.status !== 401) return response;
  expireToken();
  return post();
}

/** The headers of an API call with our token. */
export async function authorized(headers: Record<string, string> = {}): Promise<Record<string, string>> {
  return { ...headers, Authorization: `Bearer ${await freshToken()}` };
}
