// @ts-check
// What every route of the demo server needs from node:http: answers, bodies, and the checks made
// before any route runs.

/** The longest request body the demo reads, in bytes: a conversation of long turns fits. */
const MAX_BODY = 256 * 1024;

/** A request the demo refuses with `status` (400, 401, 403, 410, 413) and a message, whatever route it reached. */
export class Refusal extends Error {
  /**
   * @param {number} status
   * @param {string} message
   * @param {Record<string, string>} [headers]
   */
  constructor(status, message, headers = {}) {
    super(message);
    this.status = status;
    this.headers = headers;
  }
}

/**
 * @param {import('node:http').ServerResponse} response
 * @param {number} status
 * @param {string} type
 * @param {string | Buffer} body
 */
export function send(response, status, type, body) {
  response.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
}

/**
 * @param {import('node:http').ServerResponse} response
 * @param {number} status
 * @param {unknown} value
 * @param {Record<string, string>} [headers]
 */
export function sendJson(response, status, value, headers = {}) {
  response.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(value));
}

/** @param {import('node:http').ServerResponse} response */
export function openEventStream(response) {
  response.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-store',
    'x-accel-buffering': 'no',
  });
  response.flushHeaders();
}

/**
 * The request body as text; past MAX_BODY bytes, a 413 before the rest is read.
 * @param {import('node:http').IncomingMessage} request
 * @returns {Promise<string>}
 */
export function readBody(request) {
  return new Promise((resolve, reject) => {
    let body = '';
    let size = Number(request.headers['content-length'] ?? 0);
    const tooLarge = () => new Refusal(413, `request body too large: ${MAX_BODY} bytes at most`);
    if (size > MAX_BODY) return reject(tooLarge());
    request.setEncoding('utf8');
    request.on('data', (chunk) => {
      size += Buffer.byteLength(chunk);
      if (size > MAX_BODY) {
        reject(tooLarge());
        request.destroy();
      } else body += chunk;
    });
    request.on('end', () => resolve(body));
    request.on('error', reject);
  });
}

/**
 * A JSON object body, `{}` when empty; malformed JSON is a 400, not a 500.
 * @param {string} body
 * @returns {Record<string, unknown>}
 */
export function parseJson(body) {
  try {
    const value = JSON.parse(body || '{}');
    if (typeof value === 'object' && value !== null) return value;
  } catch {
    // refused below
  }
  throw new Refusal(400, 'malformed JSON body');
}

/**
 * Why a request is refused as foreign, or undefined: its Host must name this machine (127.0.0.1,
 * localhost, [::1], or a name in DEMO_HOSTS), and an Origin, when the browser sends one, must be
 * that same host. Checked before any route: a foreign page posting `text/plain`, or DNS rebinding
 * (to mint tokens and spend LLM_API_KEY), gets a 403.
 * @param {import('node:http').IncomingMessage} request
 */
export function foreign(request) {
  const host = request.headers.host ?? '';
  const name = host.replace(/:\d+$/, '');
  const allowed = ['127.0.0.1', 'localhost', '[::1]', ...(process.env.DEMO_HOSTS?.split(',') ?? [])];
  if (!allowed.includes(name)) return `unknown host "${name}" (set DEMO_HOSTS to serve it)`;
  const { origin } = request.headers;
  if (origin === undefined) return undefined;
  if (origin === 'null' || !URL.canParse(origin) || new URL(origin).host !== host)
    return 'cross-origin request refused';
  return undefined;
}

/**
 * The bearer token of a request, or undefined.
 * @param {import('node:http').IncomingMessage} request
 */
export function bearer(request) {
  return /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
}
