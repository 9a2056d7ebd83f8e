import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, test } from 'vitest';
import { startDemoServer, type DemoServer } from '../../demo/server.mjs';
import { fetchEvents, type EventSourceMessage } from '../../src/index.js';

// The demo's API without a browser: the OpenAI-compatible proxy against a fake upstream started
// here (no network), and the answers to bad input.
const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
});

/** A fake OpenAI-compatible `/v1/chat/completions`, answering with `reply`; records what it saw. */
async function fakeUpstream(reply: (request: IncomingMessage, response: ServerResponse) => void) {
  const seen: Array<{ authorization: string | undefined; body: unknown; closedEarly: boolean }> = [];
  const server: Server = createServer((request, response) => {
    let body = '';
    request.on('data', (chunk: Buffer) => (body += chunk.toString()));
    request.on('end', () => {
      const entry = { authorization: request.headers.authorization, body: JSON.parse(body), closedEarly: false };
      seen.push(entry);
      response.on('close', () => (entry.closedEarly = !response.writableEnded));
      reply(request, response);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(
    () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  return { baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`, seen };
}

const chunk = (content: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content } }] })}\n\n`;

async function demoWith(
  upstream?: { baseUrl: string; apiKey?: string; model: string; idleTimeout?: number },
  options: Parameters<typeof startDemoServer>[0] = {},
) {
  const demo: DemoServer = await startDemoServer({ port: 0, log: () => {}, upstream, ...options });
  closers.push(() => demo.close());
  return { demo, headers: await session(demo.url) };
}

/** The headers of a new session's requests (or of a renewed one, given its token). */
async function session(url: string, renewing?: string) {
  const response = await fetch(new URL('/api/token', url), {
    method: 'POST',
    headers: renewing ? { Authorization: `Bearer ${renewing}` } : {},
  });
  const { token } = (await response.json()) as { token: string };
  return { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' };
}

/** Starts an answer and reads it up to its `count`th token; resolves with the last event id read. */
async function readSome(url: string, headers: Record<string, string>, count: number) {
  const controller = new AbortController();
  let lastEventId = '';
  let tokens = 0;
  for await (const message of fetchEvents(new URL('/api/chat', url), {
    method: 'POST',
    headers,
    body: JSON.stringify({ messages: [{ role: 'user', content: 'A long answer, please' }] }),
    signal: controller.signal,
  })) {
    lastEventId = message.id;
    if (message.event === 'message' && ++tokens === count) break;
  }
  return { lastEventId, answerId: lastEventId.slice(0, lastEventId.lastIndexOf(':')) };
}

const resumeRequest = (headers: Record<string, string>, lastEventId: string) => ({
  method: 'POST',
  headers: { ...headers, 'Last-Event-ID': lastEventId },
  body: JSON.stringify({ messages: conversation }),
});

const conversation = [{ role: 'user', content: 'Say hello' }];

describe('with LLM_BASE_URL: an OpenAI-compatible upstream, re-emitted as the demo’s own events', () => {
  test('relays the tokens in order, with ids, sending the conversation, model and key upstream', async () => {
    const upstream = await fakeUpstream((_request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.end(`${chunk('Hel')}${chunk('lo, ')}${chunk('world')}data: [DONE]\n\n`);
    });
    const { demo, headers } = await demoWith({ ...upstream, apiKey: 'sk-test', model: 'tiny' });
    const messages: EventSourceMessage[] = [];
    for await (const message of fetchEvents(new URL('/api/chat', demo.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ messages: conversation }),
    })) {
      messages.push(message);
    }
    const tokens = messages.filter((m) => m.event === 'message' && m.data !== '[DONE]');
    expect(tokens.map((m) => (JSON.parse(m.data) as { token: string }).token)).toEqual(['Hel', 'lo, ', 'world']);
    // Ids are the store's `<answer id>:<position>`: the answer's own first event is position 1.
    expect(tokens.map((m) => m.id.split(':')[1])).toEqual(['2', '3', '4']);
    expect(upstream.seen).toEqual([
      {
        authorization: 'Bearer sk-test',
        body: { model: 'tiny', messages: conversation, stream: true },
        closedEarly: false,
      },
    ]);
  });

  test('the page is told which model answers: the upstream model and host, never its path', async () => {
    const upstream = await fakeUpstream((_request, response) => response.end());
    const { demo } = await demoWith({ ...upstream, model: 'tiny' });
    const { model } = (await (await fetch(new URL('/api/model', demo.url))).json()) as { model: string };
    expect(model).toBe(`tiny at ${new URL(upstream.baseUrl).host}`);
  });

  test("an upstream 401 becomes an error event with the upstream's message and without its URL", async () => {
    const upstream = await fakeUpstream((_request, response) => {
      response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key"}}');
    });
    const { demo, headers } = await demoWith({ ...upstream, model: 'tiny' });
    const events: string[] = [];
    for await (const message of fetchEvents(new URL('/api/chat', demo.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ messages: conversation }),
    })) {
      events.push(
        message.event === 'error'
          ? `error ${(JSON.parse(message.data) as { message: string }).message}`
          : message.event,
      );
    }
    // The upstream's own message, and never its URL (the page shows this text).
    expect(events).toEqual(['answer', 'error upstream 401: Incorrect API key', 'message']);
    expect(upstream.seen).toHaveLength(1);
  });

  test.each([
    [
      'drops its stream after two words',
      (_request: IncomingMessage, response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(chunk('one '));
        response.write(chunk('two '));
        setTimeout(() => response.destroy(), 50);
      },
      'upstream dropped the connection after 2 event(s)',
    ],
    [
      'hangs after one word',
      (_request: IncomingMessage, response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'text/event-stream' });
        response.write(chunk('one '));
      },
      'upstream sent nothing for 0.3 s after 1 event(s)',
    ],
    [
      'answers HTML',
      (_request: IncomingMessage, response: ServerResponse) => {
        response.writeHead(200, { 'content-type': 'text/html' }).end('<h1>gateway</h1>');
      },
      'upstream answered text/html, not an event stream',
    ],
  ])(
    "an upstream that %s ends the answer with an error in the demo's words, never its URL",
    async (_what, reply, said) => {
      const upstream = await fakeUpstream(reply);
      const { demo, headers } = await demoWith({ ...upstream, model: 'tiny', idleTimeout: 300 });
      const errors: string[] = [];
      for await (const message of fetchEvents(new URL('/api/chat', demo.url), {
        method: 'POST',
        headers,
        body: JSON.stringify({ messages: conversation }),
      })) {
        if (message.event === 'error') errors.push((JSON.parse(message.data) as { message: string }).message);
      }
      expect(errors).toEqual([said]);
      expect(errors[0]).not.toContain(new URL(upstream.baseUrl).host);
    },
  );

  test('Stop aborts the upstream request', async () => {
    const upstream = await fakeUpstream((request, response) => {
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      const timer = setInterval(() => response.write(chunk('word ')), 50);
      request.socket.on('close', () => clearInterval(timer));
    });
    const { demo, headers } = await demoWith({ ...upstream, model: 'tiny' });
    let answerId = '';
    let tokens = 0;
    const controller = new AbortController();
    for await (const message of fetchEvents(new URL('/api/chat', demo.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ messages: conversation }),
      signal: controller.signal,
    })) {
      if (message.event === 'answer') answerId = (JSON.parse(message.data) as { id: string }).id;
      else if (++tokens === 3) break;
    }
    const stopped = await fetch(new URL('/api/answers/stop', demo.url), {
      method: 'POST',
      headers,
      body: JSON.stringify({ id: answerId }),
    });
    expect(await stopped.json()).toMatchObject({ id: answerId, state: 'stopped' });
    await expect.poll(() => upstream.seen[0]?.closedEarly).toBe(true);
    await expect
      .poll(() => demo.requests.some((r) => r.note.startsWith(`answer ${answerId} stopped after`)))
      .toBe(true);
  });
});

describe('bad input gets a clear answer', () => {
  test.each([
    ['malformed JSON', '{"messages": [', 400, 'malformed JSON body'],
    ['no conversation', '{}', 400, 'expected { messages: [{ role, content }] } ending with a user message'],
    ['an empty message', JSON.stringify({ messages: [{ role: 'user', content: ' ' }] }), 400, 'empty message'],
    [
      'an oversized message',
      JSON.stringify({ messages: [{ role: 'user', content: 'x'.repeat(4001) }] }),
      413,
      'message too long: 4000 characters at most',
    ],
  ])('%s gets a clear 4xx', async (_case, body, status, error) => {
    const { demo, headers } = await demoWith();
    const response = await fetch(new URL('/api/chat', demo.url), { method: 'POST', headers, body });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error });
  });

  test('an unknown answer id on resume: 410 Gone', async () => {
    const { demo, headers } = await demoWith();
    const response = await fetch(new URL('/api/chat', demo.url), {
      method: 'POST',
      headers: { ...headers, 'Last-Event-ID': 'nosuch:4' },
      body: JSON.stringify({ messages: conversation }),
    });
    expect(response.status).toBe(410);
  });
});

describe('a server people will copy: foreign requests and oversized bodies', () => {
  /** A raw request with headers fetch would not let us set (Host). */
  function raw(url: string, path: string, headers: Record<string, string>, body = '{}') {
    return new Promise<{ status: number; body: string }>((resolve, reject) => {
      const request = httpRequest(new URL(path, url), { method: 'POST', headers }, (response) => {
        let text = '';
        response.on('data', (chunk: Buffer) => (text += chunk.toString()));
        response.on('end', () => resolve({ status: response.statusCode ?? 0, body: text }));
      });
      request.on('error', reject);
      request.end(body);
    });
  }

  test.each(['/api/answers/stop', '/api/faults', '/api/token', '/api/chat'])(
    'a cross-origin POST to %s (a foreign page) is refused with 403 before the route runs',
    async (path) => {
      const { demo } = await demoWith();
      const before = demo.requests.length;
      const response = await raw(demo.url, path, { origin: 'https://evil.example', 'content-type': 'text/plain' });
      expect(response.status).toBe(403);
      expect(JSON.parse(response.body)).toEqual({ error: 'cross-origin request refused' });
      // Logged, and nothing else: the route never ran.
      expect(demo.requests.slice(before)).toMatchObject([{ path, status: 403, note: 'cross-origin request refused' }]);
    },
  );

  test('a request through a name that is not this machine (DNS rebinding) is refused with 403', async () => {
    const { demo } = await demoWith();
    const response = await raw(demo.url, '/api/token', { host: 'rebound.example:8787' });
    expect(response.status).toBe(403);
    expect((JSON.parse(response.body) as { error: string }).error).toMatch(/unknown host "rebound.example"/);
  });

  test('a same-origin POST from the page is served', async () => {
    const { demo } = await demoWith();
    const origin = new URL(demo.url).origin;
    expect((await raw(demo.url, '/api/token', { origin })).status).toBe(200);
  });

  test.each([
    ['/api/faults', 'malformed JSON', '{"fault":', 400, 'malformed JSON body'],
    ['/api/answers/stop', 'malformed JSON', '{', 400, 'malformed JSON body'],
    ['/api/chat', 'a body past 256 KiB', 'x'.repeat(300 * 1024), 413, 'request body too large: 262144 bytes at most'],
  ])('%s with %s: a clear 4xx, not a 500', async (path, _case, body, status, error) => {
    const { demo, headers } = await demoWith();
    const response = await fetch(new URL(path, demo.url), { method: 'POST', headers, body });
    expect(response.status).toBe(status);
    expect(await response.json()).toEqual({ error });
  });
});

describe('each answer belongs to the session whose token started it', () => {
  test.each([
    ['/api/answers/stop', '{"id":"x"}'],
    ['/api/faults', '{"fault":"slow"}'],
    ['/api/chat', JSON.stringify({ messages: conversation })],
  ])('POST %s without a token: 401, and nothing done', async (path, body) => {
    const { demo } = await demoWith();
    const response = await fetch(new URL(path, demo.url), { method: 'POST', body });
    expect(response.status).toBe(401);
    expect(response.headers.get('x-token-refusal')).toBe('missing bearer token');
    expect(demo.faults.slow).toBe(false);
  });

  test('the request log stream without a token: 401', async () => {
    const { demo, headers } = await demoWith();
    expect((await fetch(new URL('/api/requests/stream', demo.url))).status).toBe(401);
    const controller = new AbortController();
    const response = await fetch(new URL('/api/requests/stream', demo.url), { headers, signal: controller.signal });
    expect(response.status).toBe(200);
    controller.abort();
  });

  test('another session can neither resume nor stop it (403), and the answer goes on', async () => {
    const { demo, headers } = await demoWith(undefined, { pace: 20 });
    const { lastEventId, answerId } = await readSome(demo.url, headers, 2);
    const stranger = await session(demo.url);
    const resumed = await fetch(new URL('/api/chat', demo.url), resumeRequest(stranger, lastEventId));
    expect(resumed.status).toBe(403);
    expect(await resumed.json()).toEqual({ error: 'this answer belongs to another session' });
    const stopped = await fetch(new URL('/api/answers/stop', demo.url), {
      method: 'POST',
      headers: stranger,
      body: JSON.stringify({ id: answerId }),
    });
    expect(stopped.status).toBe(403);
    // Its owner resumes it, to the end.
    const data: string[] = [];
    for await (const message of fetchEvents(new URL('/api/chat', demo.url), resumeRequest(headers, lastEventId))) {
      data.push(message.data);
    }
    expect(data.at(-1)).toBe('[DONE]');
  });

  test('a renewed token keeps the session: it resumes the answers of the token it replaced', async () => {
    const { demo, headers } = await demoWith(undefined, { pace: 20 });
    const { lastEventId } = await readSome(demo.url, headers, 2);
    const renewed = await session(demo.url, headers.Authorization.slice('Bearer '.length));
    expect(renewed.Authorization).not.toBe(headers.Authorization);
    const response = await fetch(new URL('/api/chat', demo.url), resumeRequest(renewed, lastEventId));
    expect(response.status).toBe(200);
    await response.body?.cancel();
  });

  test('a token renewed after "Expire the token" keeps the session too: the page goes on with its answer', async () => {
    const { demo, headers } = await demoWith(undefined, { pace: 20 });
    const { lastEventId } = await readSome(demo.url, headers, 2);
    await fetch(new URL('/api/faults', demo.url), { method: 'POST', headers, body: '{"fault":"expire"}' });
    const expired = await fetch(new URL('/api/chat', demo.url), resumeRequest(headers, lastEventId));
    expect(expired.status).toBe(401);
    expect(expired.headers.get('x-token-refusal')).toBe('token expired');
    // The same page renews with the token it holds: authentic, only expired.
    const renewed = await session(demo.url, headers.Authorization.slice('Bearer '.length));
    const response = await fetch(new URL('/api/chat', demo.url), resumeRequest(renewed, lastEventId));
    expect(response.status).toBe(200);
    await response.body?.cancel();
    // A forged token is no session at all: it gets a new one, which owns nothing.
    const forged = await session(demo.url, `${headers.Authorization.slice('Bearer '.length)}x`);
    expect((await fetch(new URL('/api/chat', demo.url), resumeRequest(forged, lastEventId))).status).toBe(403);
  });

  test('after a restart: the old token is "invalid token" (401), and with a new one the answer is gone (410)', async () => {
    const first = await demoWith(undefined, { pace: 20 });
    const { lastEventId } = await readSome(first.demo.url, first.headers, 2);
    await first.demo.close();
    // This process's fetch keeps connections to the old server in its pool; a POST sent on one the
    // old server closed fails ("other side closed", and a POST is not retried). They go once their
    // close is read, within a turn or two of the event loop.
    await new Promise((resolve) => setTimeout(resolve, 100));
    // The same port, a new process: a new secret and an empty memory.
    const restarted = await startDemoServer({ port: Number(new URL(first.demo.url).port), log: () => {} });
    closers.push(() => restarted.close());
    const refused = await fetch(new URL('/api/chat', restarted.url), resumeRequest(first.headers, lastEventId));
    expect(refused.status).toBe(401);
    expect(refused.headers.get('x-token-refusal')).toBe('invalid token');
    const gone = await fetch(
      new URL('/api/chat', restarted.url),
      resumeRequest(await session(restarted.url), lastEventId),
    );
    expect(gone.status).toBe(410);
    expect(await gone.json()).toEqual({
      error: 'this answer is gone (the server restarted, or it expired): ask again',
    });
  });
});

test('an answer nobody is connected to stops generating within the grace period', async () => {
  const demo = await startDemoServer({ port: 0, log: () => {}, pace: 20, grace: 300 });
  closers.push(() => demo.close());
  const { token } = (await (await fetch(new URL('/api/token', demo.url), { method: 'POST' })).json()) as {
    token: string;
  };
  const controller = new AbortController();
  let tokens = 0;
  let lastEventId = '';
  try {
    for await (const message of fetchEvents(new URL('/api/chat', demo.url), {
      method: 'POST',
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ messages: [{ role: 'user', content: 'A long answer, please' }] }),
      signal: controller.signal,
    })) {
      lastEventId = message.id;
      if (message.event === 'message' && ++tokens === 3) break;
    }
  } finally {
    controller.abort();
  }
  const left = performance.now();
  await expect
    .poll(() => demo.requests.find((entry) => /^answer [\w-]+ abandoned after \d+ tokens$/.test(entry.note)), {
      timeout: 3000,
    })
    .toBeTruthy();
  const note = demo.requests.find((entry) => entry.note.includes('abandoned'))!.note;
  // Stopped well before the canned answer's end (it has dozens of words): 300 ms grace at 20 ms a word.
  expect(Number(/after (\d+) tokens/.exec(note)![1])).toBeLessThan(60);
  expect(performance.now() - left).toBeLessThan(2000);
  // Resumed later (a reload), it replays what was stored and then says it was abandoned: it does not
  // end as if it were done, mid-sentence.
  const resumed: Array<{ event: string; data: string }> = [];
  for await (const message of fetchEvents(new URL('/api/chat', demo.url), {
    method: 'POST',
    headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
    body: JSON.stringify({ messages: [{ role: 'user', content: 'A long answer, please' }] }),
    lastEventId,
  })) {
    resumed.push({ event: message.event, data: message.data });
  }
  expect(resumed.at(-1)?.event).toBe('error');
  expect(JSON.parse(resumed.at(-1)!.data)).toMatchObject({ error: 'StreamAbandonedError' });
  expect(resumed.some((message) => message.data === '[DONE]')).toBe(false);
});
