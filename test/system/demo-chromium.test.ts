import { mkdir, readFile } from 'node:fs/promises';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, beforeEach, expect, test as baseTest } from 'vitest';
import { answerFor, tokenize } from '../../demo/answers.mjs';
import { startDemoServer, type DemoServer } from '../../demo/server.mjs';
// Debian's Chromium, installed by .ci/run when missing.
import { launchChromium } from '../../scripts/chromium.mjs';
import { listen } from '../helpers/http-server.js';

// The prompt the page starts with.
const PROMPT = 'How do Server-Sent Events survive a dropped connection? Show me the wire format.';

// Where Debian's Chromium is missing (`npm test` says why), every test here reports as skipped.
const skipReason = process.env.SKIP_CHROMIUM;
if (skipReason) console.log(`Chromium tests skipped: ${skipReason}`);
const test = skipReason ? baseTest.skip : baseTest;

let demo: DemoServer;
let browser: Browser;
let page: Page;

beforeAll(async () => {
  if (skipReason) return;
  // A quicker canned model than a person would want: the tests wait for whole answers.
  demo = await startDemoServer({ port: 0, log: () => {}, pace: 8 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});
beforeEach(async () => {
  if (skipReason) return;
  demo.faults.slow = false;
  page = await (await browser.newContext({ viewport: { width: 1180, height: 900 } })).newPage();
  await page.goto(demo.url);
  return () => page.context().close();
});

const chatRequests = () => demo.requests.filter((r) => r.path === '/api/chat');
const badge = () => page.getByTestId('badge').first();
/** The text of the last finished answer in the conversation, as streamed (it is shown as markdown). */
const lastAnswer = () => page.getByTestId('turn-assistant').last().getAttribute('data-text');
const timeline = () => page.getByTestId('timeline').innerText();
const firstTurn = [{ role: 'user' as const, content: PROMPT }];

async function send(prompt?: string) {
  if (prompt !== undefined) await page.getByLabel('Prompt').fill(prompt);
  await page.getByRole('button', { name: 'Send' }).click();
}

async function waitForWords(count: number) {
  await page.waitForFunction(
    (n) => (document.querySelector('[data-testid=answer]')?.getAttribute('data-text') ?? '').split(/\s+/).length >= n,
    count,
  );
}

const done = () => expect.poll(() => badge().textContent(), { timeout: 20_000 }).toBe('done');

test('a prompt streams the full answer, exactly once; the page says which model answers', async () => {
  await expect.poll(() => page.getByTestId('model').textContent()).toBe('Answered by the built-in canned model');
  await send();
  await done();
  expect(await lastAnswer()).toBe(answerFor(firstTurn));
  expect(chatRequests().at(-1)).toMatchObject({ method: 'POST', lastEventId: null, status: 200 });
});

test('a second turn carries the conversation, and its answer depends on it', async () => {
  await send();
  await done();
  const second = 'And what happens to the tokens sent while I was away?';
  await send(second);
  await done();
  const conversation = [
    ...firstTurn,
    { role: 'assistant' as const, content: answerFor(firstTurn) },
    { role: 'user' as const, content: second },
  ];
  expect(await lastAnswer()).toBe(answerFor(conversation));
  expect(await lastAnswer()).toContain(`before it you asked “${PROMPT}”`);
  expect(await page.getByTestId('turn-user').allTextContents()).toEqual([PROMPT, second]);
  expect(chatRequests().at(-1)?.note).toMatch(/^new answer [\w-]+, turn 2$/);
  // Markdown: the answers' code blocks are code blocks; the timeline says what the library did.
  expect(await page.locator('.conversation pre code').count()).toBeGreaterThanOrEqual(2);
  expect(await timeline()).toMatch(/request 1: POST \/api\/chat, a new answer/);
  await mkdir('test-artifacts', { recursive: true });
  await page.screenshot({ path: 'test-artifacts/demo-chat.png' });
});

test('a connection dropped mid-answer resumes with Last-Event-ID: no token missing or repeated', async () => {
  const before = chatRequests().length;
  await send();
  await waitForWords(25);
  await page.getByRole('button', { name: 'Drop the connection' }).click();
  await done();
  expect(await lastAnswer()).toBe(answerFor(firstTurn));
  const requests = chatRequests().slice(before);
  expect(requests).toHaveLength(2);
  expect(requests[0]?.lastEventId).toBeNull();
  const [, index] = /^[\w-]+:(\d+)$/.exec(requests[1]?.lastEventId ?? '') ?? [];
  expect(Number(index)).toBeGreaterThan(10);
  // The timeline: the drop, the wait and why, and the request that resumed.
  const decided = await timeline();
  expect(decided).toMatch(/NetworkError: connection dropped while reading POST/);
  expect(decided).toMatch(/next request in \d+ ms: the server's retry: 1000 ms, after progress/);
  expect(decided).toContain(`request 2: POST /api/chat, Last-Event-ID ${requests[1]?.lastEventId}`);
});

test('a reload mid-answer goes on where it stopped: the final text is exact, token by token', async () => {
  await send();
  await waitForWords(15);
  await page.reload();
  await done();
  expect(tokenize((await lastAnswer()) ?? '')).toEqual(tokenize(answerFor(firstTurn)));
  const resume = chatRequests().at(-1);
  expect(resume?.note).toMatch(/^resume answer [\w-]+ after position \d+ \(its Last-Event-ID\)$/);
  expect(await page.getByTestId('turn-user').allTextContents()).toEqual([PROMPT]);
});

test('the conversation follows the answer however fast its words come, and stays where the reader scrolled up', async () => {
  // A short window, so the answer overflows the conversation.
  await page.setViewportSize({ width: 1180, height: 600 });
  await send();
  await waitForWords(40);
  const conversation = page.getByTestId('conversation');
  const behind = () =>
    conversation.evaluate((element) => element.scrollHeight - element.scrollTop - element.clientHeight);
  // Words faster than frames (a reload's replay): the text grows between the page's scroll and the
  // scroll event it causes, which then finds the box far from its end though nobody moved it.
  await conversation.evaluate((element) => {
    const grown = document.createElement('div');
    grown.style.minHeight = '300px';
    element.append(grown);
    element.dispatchEvent(new Event('scroll'));
  });
  await waitForWords(60);
  await expect.poll(behind).toBeLessThan(40);
  // The reader scrolls up to read, with the mouse wheel: the page leaves them there while the words go on.
  await conversation.hover();
  await page.mouse.wheel(0, -300);
  await waitForWords(80);
  expect(await behind()).toBeGreaterThan(150);
  await done();
});

test('sent while offline: the timeline says the library waits for the network, and the answer comes once it is back', async () => {
  // The page holds its token by now (its server log streams with it).
  await page.waitForFunction(() => sessionStorage.getItem('fetch-eventsource-demo-token') !== null);
  // Due for renewal (within its last 30 s), which cannot happen offline: the page goes on with it.
  await page.evaluate(() => {
    const key = 'fetch-eventsource-demo-token';
    const held = JSON.parse(sessionStorage.getItem(key)!) as { value: string; expiresAt: number };
    sessionStorage.setItem(key, JSON.stringify({ ...held, expiresAt: Date.now() + 20_000 }));
  });
  await page.context().setOffline(true);
  await send();
  await expect.poll(timeline, { timeout: 5000 }).toContain('waiting for the network to come back');
  expect(await badge().textContent()).toBe('waiting for the network (reconnect 1)');
  await page.context().setOffline(false);
  await done();
  expect(await lastAnswer()).toBe(answerFor(firstTurn));
});

test('a 503 with Retry-After shows the wait on the badge, then recovers', async () => {
  await page.getByRole('button', { name: 'Next request: 503 + Retry-After' }).click();
  await expect.poll(() => demo.faults.unavailable).toBe(true);
  // Every text the badge shows, from its first frame on.
  await page.evaluate(() => {
    const seen: string[] = [];
    (window as unknown as { badgeTexts: string[] }).badgeTexts = seen;
    const badgeElement = document.querySelector('[data-testid="badge"]')!;
    new MutationObserver(() => seen.push(badgeElement.textContent ?? '')).observe(badgeElement, {
      childList: true,
      characterData: true,
      subtree: true,
    });
  });
  await send();
  await expect
    .poll(() => badge().textContent(), { timeout: 5000 })
    .toMatch(/^reconnecting in \d\.\d s \(reconnect 1\)$/);
  // The badge counts down, in tenths, from the wait the library scheduled (Retry-After: 2, plus up to
  // 30 % jitter), which the timeline gives in ms.
  const [, scheduled] = /next request in (\d+) ms: the server's Retry-After \(2 s\)/.exec(await timeline()) ?? [];
  expect(Number(scheduled)).toBeGreaterThanOrEqual(2000);
  expect(Number(scheduled)).toBeLessThanOrEqual(2600);
  const texts = await page.evaluate(() => (window as unknown as { badgeTexts: string[] }).badgeTexts);
  const counts = texts.flatMap((text) => /in (\d\.\d) s/.exec(text)?.[1] ?? []).map(Number);
  expect(counts.length).toBeGreaterThan(0);
  expect(counts[0]).toBeLessThanOrEqual(Number(scheduled) / 1000 + 0.05);
  expect(counts[0]).toBeGreaterThan(Number(scheduled) / 1000 - 0.5);
  expect(counts).toEqual([...counts].sort((a, b) => b - a));
  await done();
  expect(await lastAnswer()).toBe(answerFor(firstTurn));
  expect(
    chatRequests()
      .slice(-2)
      .map((r) => r.status),
  ).toEqual([503, 200]);
  expect(await timeline()).toMatch(/next request in \d+ ms: the server's Retry-After \(2 s\)/);
});

test('an expired token fails clearly with exactly one 401, and no retry loop', async () => {
  await send();
  await done();
  await page.getByRole('button', { name: 'Expire the token' }).click();
  await page.waitForTimeout(200);
  const before = chatRequests().length;
  await send('Still there?');
  await expect.poll(() => badge().textContent(), { timeout: 5000 }).toBe('failed: 401 Unauthorized: token expired');
  // Past the base delay (1 s, +30 % jitter): a retry would have gone by now.
  await page.waitForTimeout(1500);
  expect(
    chatRequests()
      .slice(before)
      .map((r) => r.status),
  ).toEqual([401]);
  // The other buttons still work with a token expired under them: a refused token is replaced once.
  const faultRequests = () => demo.requests.filter((r) => r.path === '/api/faults').length;
  const expires = faultRequests();
  await page.getByRole('button', { name: 'Expire the token' }).click();
  await expect.poll(faultRequests).toBe(expires + 1);
  const slow = page.getByRole('button', { name: 'Slow mode' });
  await slow.click();
  await expect.poll(() => slow.getAttribute('aria-pressed')).toBe('true');
  await slow.click();
  await expect.poll(() => slow.getAttribute('aria-pressed')).toBe('false');
  const statuses = demo.requests.filter((r) => r.path === '/api/faults').map((r) => r.status);
  expect(statuses.slice(expires)).toEqual([200, 401, 200, 200]);
});

test('after "Expire the token" the page keeps its session: a drop mid-answer resumes with the renewed token', async () => {
  await send();
  await waitForWords(8);
  await page.getByRole('button', { name: 'Expire the token' }).click();
  // The drop's own request is refused once (the token ran out), renewed with the same session, and
  // then cuts the answer; its reconnect carries the renewed token and resumes it: no 403.
  await page.getByRole('button', { name: 'Drop the connection' }).click();
  await done();
  expect(await lastAnswer()).toBe(answerFor(firstTurn));
  expect(demo.requests.filter((r) => r.status === 403)).toEqual([]);
  expect(chatRequests().at(-1)).toMatchObject({ status: 200 });
});

test('Stop aborts the answer, the server stops generating, and no further request is made', async () => {
  await send();
  await waitForWords(10);
  await page.getByRole('button', { name: 'Stop' }).click();
  await expect.poll(() => badge().textContent()).toBe('stopped');
  const ended = () => demo.requests.find((r) => /^answer [\w-]+ stopped after \d+ tokens$/.test(r.note));
  await expect.poll(ended).toBeTruthy();
  const generated = Number(/after (\d+) tokens/.exec(ended()!.note)![1]);
  expect(generated).toBeLessThan(tokenize(answerFor(firstTurn)).length);
  const requests = chatRequests().length;
  const text = await lastAnswer();
  await page.waitForTimeout(1500);
  expect(chatRequests().length).toBe(requests);
  expect(await lastAnswer()).toBe(text);
  expect(await page.locator('.note').last().textContent()).toBe('(stopped)');
});

// (An empty message cannot be sent from the page: Send is disabled; the API's 400 and 413 are in
// demo-api.test.ts.)
test('a 300 KB paste stays whole in the box, the counter says it is too long, and nothing is sent', async () => {
  const before = chatRequests().length;
  const paste = 'x'.repeat(300_000);
  await page.getByLabel('Prompt').fill(paste);
  await expect.poll(() => page.getByTestId('counter').textContent()).toBe('too long: 300000 / 4000');
  expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
  await page.getByLabel('Prompt').press('Enter');
  expect(await page.getByLabel('Prompt').inputValue()).toBe(paste);
  await page.waitForTimeout(300);
  expect(chatRequests().length).toBe(before);
  // Cut back under the limit, it can be sent.
  await page.getByLabel('Prompt').fill('x'.repeat(4000));
  expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(false);
});

test('resuming an answer the server no longer has: 410 Gone, one request, a clear message', async () => {
  await page.evaluate((prompt) => {
    const messages = [{ role: 'user', content: prompt }];
    const pending = { messages, text: 'You asked', lastEventId: 'gone1234:1', answerId: 'gone1234' };
    sessionStorage.setItem('fetch-eventsource-demo-chat', JSON.stringify({ turns: messages, pending }));
  }, PROMPT);
  const before = chatRequests().length;
  await page.reload();
  await expect
    .poll(() => badge().textContent(), { timeout: 5000 })
    .toBe('failed: 410 Gone: this answer is gone (the server restarted, or it expired): ask again');
  await page.waitForTimeout(1500);
  expect(chatRequests().slice(before)).toMatchObject([{ status: 410, lastEventId: 'gone1234:1' }]);
});

test('the GET ticker pauses while the tab is hidden and resumes with Last-Event-ID', async () => {
  await page.getByRole('button', { name: 'Start the ticker' }).click();
  await page.waitForFunction(() => (document.querySelector('.ticks')?.children.length ?? 0) >= 2, null, {
    timeout: 10_000,
  });
  const feedRequests = () => demo.requests.filter((r) => r.path === '/api/feed');
  const before = feedRequests().length;
  // Headless Chromium never hides a tab by itself: make the document say so, as a tab switch would.
  const setHidden = (hidden: boolean) =>
    page.evaluate((hide) => {
      Object.defineProperty(document, 'visibilityState', {
        configurable: true,
        get: () => (hide ? 'hidden' : 'visible'),
      });
      document.dispatchEvent(new Event('visibilitychange'));
    }, hidden);
  await setHidden(true);
  await expect.poll(() => page.getByTestId('badge').nth(1).textContent()).toBe('paused (tab hidden)');
  await page.waitForTimeout(1500);
  expect(feedRequests().length).toBe(before);
  await setHidden(false);
  await expect.poll(() => feedRequests().length).toBe(before + 1);
  expect(Number(feedRequests().at(-1)?.lastEventId)).toBeGreaterThan(0);
  await expect.poll(() => page.getByTestId('badge').nth(1).textContent()).toBe('open');
});

test('a chat that behaves like one: a double click sends once, an empty prompt cannot be sent', async () => {
  const prompt = page.getByLabel('Prompt');
  await prompt.fill('   ');
  expect(await page.getByRole('button', { name: 'Send' }).isDisabled()).toBe(true);
  await prompt.fill(PROMPT);
  const before = chatRequests().length;
  await page.getByRole('button', { name: 'Send' }).dblclick();
  await done();
  expect(chatRequests().length - before).toBe(1);
  expect(await page.getByTestId('turn-user').allTextContents()).toEqual([PROMPT]);
  expect(await lastAnswer()).toBe(answerFor(firstTurn));
});

test('Enter sends, Shift+Enter is a new line', async () => {
  const prompt = page.getByLabel('Prompt');
  await prompt.fill('first line');
  await prompt.press('Shift+Enter');
  await prompt.pressSequentially('second line');
  expect(await prompt.inputValue()).toBe('first line\nsecond line');
});

test('a long unbroken word wraps inside its bubble', async () => {
  await send('y'.repeat(600));
  await done();
  const overflows = await page
    .getByTestId('turn-user')
    .last()
    .evaluate((span) => span.parentElement!.scrollWidth > span.parentElement!.clientWidth + 1);
  expect(overflows).toBe(false);
});

test('the page renews its token before it expires: no 401 after the token would have run out', async () => {
  // Tokens of 31 s, renewed when less than 30 s are left: the second turn, once that second passed,
  // needs a new one.
  const shortLived = await startDemoServer({ port: 0, log: () => {}, pace: 8, tokenLifetime: 31_000 });
  try {
    await page.goto(shortLived.url);
    await send();
    await done();
    await page.waitForFunction(() => {
      const held = JSON.parse(sessionStorage.getItem('fetch-eventsource-demo-token')!) as { expiresAt: number };
      return held.expiresAt - Date.now() < 29_500;
    });
    await send('And a second question?');
    await done();
    const seen = shortLived.requests.filter((entry) => entry.path === '/api/token' || entry.path === '/api/chat');
    expect(seen.filter((entry) => entry.path === '/api/token')).toHaveLength(2);
    expect(seen.filter((entry) => entry.status === 401)).toEqual([]);
  } finally {
    await shortLived.close();
  }
});

test('model output is untrusted: HTML in an answer is shown as text, inert, and fetches nothing', async () => {
  // The canned model quotes the question, so this comes back as model output, rendered as markdown.
  const fetched: string[] = [];
  page.on('request', (request) => {
    if (request.url().includes('nowhere.png')) fetched.push(request.url());
  });
  await send('<img src="/nowhere.png" onerror="window.pwned = true"> and <script>window.pwned = true</script>');
  await done();
  await page.waitForTimeout(300);
  expect(await page.evaluate(() => (window as unknown as { pwned?: boolean }).pwned)).toBeUndefined();
  expect(await page.locator('.conversation img, .conversation [onerror], .conversation script').count()).toBe(0);
  expect(await lastAnswer()).toContain('<img src="/nowhere.png" onerror="window.pwned = true">');
  // Shown as the characters it is made of.
  expect(await page.getByTestId('turn-assistant').last().innerText()).toContain('<img src="/nowhere.png"');
  expect(fetched).toEqual([]);
});

test('a fault button focused during an answer keeps the focus when the answer ends', async () => {
  const focused = () => page.evaluate(() => document.activeElement?.textContent ?? '');
  await send();
  await waitForWords(3);
  await page.getByRole('button', { name: 'Slow mode' }).focus();
  await done();
  await page.waitForTimeout(200);
  expect(await focused()).toContain('Slow mode');
});

test('focus stays in the prompt: after Send, and when the answer ends', async () => {
  const focused = () => page.evaluate(() => document.activeElement?.getAttribute('aria-label'));
  await page.getByRole('button', { name: 'Send' }).click();
  expect(await focused()).toBe('Prompt');
  await done();
  expect(await focused()).toBe('Prompt');
});

test('Drop armed while nothing streams fires on the next answer, every time; the button shows it armed', async () => {
  const drop = page.getByRole('button', { name: 'Drop the connection' });
  for (const turn of [PROMPT, 'Once more, please.']) {
    await drop.click();
    await expect.poll(() => drop.getAttribute('aria-pressed')).toBe('true');
    const before = chatRequests().length;
    await send(turn);
    await done();
    expect(
      chatRequests()
        .slice(before)
        .map((r) => r.lastEventId === null),
    ).toEqual([true, false]);
    expect(await drop.getAttribute('aria-pressed')).toBe('false');
  }
  const slow = page.getByRole('button', { name: 'Slow mode' });
  await slow.click();
  await expect.poll(() => slow.getAttribute('aria-pressed')).toBe('true');
  await slow.click();
  await expect.poll(() => slow.getAttribute('aria-pressed')).toBe('false');
});

test('a foreign page cannot stop an answer: its cross-origin POST is refused', async () => {
  const before = demo.requests.length;
  await send();
  await waitForWords(5);
  // "new answer <id>, turn 1"
  const answerId = /^new answer ([\w-]+),/.exec(chatRequests().at(-1)?.note ?? '')?.[1];
  expect(answerId).toBeTruthy();
  // A page of another origin (localhost, not the demo's 127.0.0.1), as a foreign site would post a text/plain form.
  const site = await listen(
    (_request, response) => response.end('<!doctype html><title>elsewhere</title>'),
    'localhost',
  );
  const foreign = await browser.newPage();
  try {
    await foreign.goto(site.url.replace('127.0.0.1', 'localhost'));
    await foreign.evaluate(
      ([url, id]) =>
        fetch(url, {
          method: 'POST',
          mode: 'no-cors',
          headers: { 'content-type': 'text/plain' },
          body: JSON.stringify({ id }),
        }),
      [new URL('/api/answers/stop', demo.url).href, answerId] as const,
    );
  } finally {
    await foreign.close();
    await site.close();
  }
  await done();
  expect(await lastAnswer()).toBe(answerFor(firstTurn));
  expect(demo.requests.slice(before).filter((r) => r.path === '/api/answers/stop')).toMatchObject([
    { status: 403, note: 'cross-origin request refused' },
  ]);
});

test('the code panel shows the lines of the page that call the library, as they are in its source', async () => {
  await page.getByText('The code that drives the chat').click();
  const code = await page.getByTestId('code').textContent();
  expect(code).toContain('useEventStream(');
  expect(code).toContain("chat.start('/api/chat', {");
  const source = await readFile('demo/src/chat/useAnswerStream.ts', 'utf8');
  for (const line of (code ?? '').split('\n').filter((l) => l.trim())) expect(source).toContain(line);
});

test('after a server restart mid-answer: one renewed token, then the clear 410 of an answer that is gone', async () => {
  const first = await startDemoServer({ port: 0, log: () => {}, pace: 30 });
  const port = Number(new URL(first.url).port);
  let restarted: DemoServer | undefined;
  try {
    await page.goto(first.url);
    await send();
    await waitForWords(8);
    await first.close();
    // The same address, a new process: a new signing secret, and an empty memory.
    restarted = await startDemoServer({ port, log: () => {}, pace: 30 });
    await expect
      .poll(() => badge().textContent(), { timeout: 15_000 })
      .toBe('failed: 410 Gone: this answer is gone (the server restarted, or it expired): ask again');
    // The old token is refused once (unless the page's log stream renewed it first), then the answer is gone.
    const chat = restarted.requests.filter((r) => r.path === '/api/chat').map((r) => r.status);
    expect(chat.at(-1)).toBe(410);
    expect(chat.filter((status) => status === 401).length).toBeLessThanOrEqual(1);
    expect(chat.every((status) => status === 401 || status === 410)).toBe(true);
  } finally {
    await restarted?.close();
  }
});

test("an upstream's 401 ends the answer as failed, with the upstream's message and never its URL", async () => {
  const upstream = await listen((request, response) => {
    request.resume();
    response.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"Incorrect API key"}}');
  });
  const proxied = await startDemoServer({
    port: 0,
    log: () => {},
    upstream: { baseUrl: `${upstream.url}/v1?key=secret-in-url`, model: 'tiny' },
  });
  try {
    await page.goto(proxied.url);
    await send();
    await expect.poll(() => badge().textContent(), { timeout: 10_000 }).toBe('failed: upstream 401: Incorrect API key');
    // Under "what the library decided", the server's own ending, not a decision of the library's.
    await expect
      .poll(timeline)
      .toContain('the server ended the answer with an error event: upstream 401: Incorrect API key');
    expect(await timeline()).not.toContain('failed, not retried');
    // (The page names the upstream's model and host, as it should; never its path or query.)
    const shown = await page.locator('body').innerText();
    expect(shown).toContain(`tiny at ${new URL(upstream.url).host}`);
    expect(shown).not.toContain('/v1');
    expect(shown).not.toContain('secret-in-url');
  } finally {
    await proxied.close();
    await upstream.close();
  }
});
