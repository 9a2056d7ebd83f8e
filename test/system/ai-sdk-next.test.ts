// examples/ai-sdk-next, the Next.js App Router example of fetch-eventsource/ai-sdk: built with
// `next build`, served by `next start`, and used in Debian's Chromium through a proxy that cuts the
// first answer's connection mid-answer, as a flaky network would. The page must end with every
// answer whole and once: through the cut, and through a reload mid-answer.
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { lstat, symlink, unlink } from 'node:fs/promises';
import { request as httpRequest } from 'node:http';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, test as baseTest } from 'vitest';
import { cannedAnswerText } from '../../examples/ai-sdk-next/lib/model.js';
import { launchChromium } from '../../scripts/chromium.mjs';
import { listen } from '../helpers/http-server.js';
import { freePort, redisMissing, startRedis } from '../helpers/redis-server.js';

const skipReason = process.env.SKIP_CHROMIUM;

const root = process.cwd();
const app = join(root, 'examples/ai-sdk-next');
// The example imports `fetch-eventsource` by name, as an app that installed it does. Here the package
// is this repository (built by `npm test` before the system checks): a link to it in node_modules.
const link = join(root, 'node_modules/fetch-eventsource');
let linked = false;

function run(args: string[], env: Record<string, string> = {}, ready?: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'node_modules/next/dist/bin/next'), ...args], {
      cwd: app,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production', ...env },
    });
    let output = '';
    const collect = (chunk: Buffer) => {
      output += chunk.toString();
      if (ready?.test(output)) resolve(child);
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('exit', (code) =>
      code === 0 && !ready ? resolve(child) : reject(new Error(`next ${args[0]}: ${output}`)),
    );
  });
}

let browser: Browser;
let redis: Awaited<ReturnType<typeof startRedis>> | undefined;
const stops: Array<() => Promise<unknown> | void> = [];

beforeAll(async () => {
  if (skipReason) return;
  if (!existsSync(link)) {
    await symlink('..', link);
    linked = true;
  }
  // One build; each mode below is a `next start` of it. Without Next's own type-check: `npm test`
  // type-checks the app first, with the rest of the repository (see the app's next.config.ts).
  await run(['build'], { FETCH_EVENTSOURCE_TYPECHECKED: '1' });
  browser = await launchChromium();
  if (!redisMissing) redis = await startRedis();
}, 120_000);

afterAll(async () => {
  for (const stop of stops.reverse()) await stop();
  await browser?.close();
  await redis?.stop();
  if (linked && (await lstat(link)).isSymbolicLink()) await unlink(link);
});

/**
 * `next start` with `env`, behind a proxy that forwards everything and cuts the first answer after 40
 * events, as a flaky network would; and a page on it.
 */
async function startApp(env: Record<string, string>) {
  const port = await freePort();
  const next = await run(['start', '-p', String(port), '-H', '127.0.0.1'], env, /Ready in/);
  stops.push(() => void next.kill());
  const seen: Array<{ method: string; path: string; lastEventId: string | undefined }> = [];
  let cutNextPostAfter: number | undefined = 40;
  const proxy = await listen((incoming, outgoing) => {
    const lastEventId = incoming.headers['last-event-id'] as string | undefined;
    seen.push({ method: incoming.method!, path: incoming.url!, lastEventId });
    const cut = incoming.method === 'POST' && incoming.url === '/api/chat' ? cutNextPostAfter : undefined;
    if (cut !== undefined) cutNextPostAfter = undefined;
    // Uncompressed (`next start` gzips event streams too), so the proxy can count events.
    const { 'accept-encoding': _encoding, ...headers } = incoming.headers;
    const upstream = httpRequest(
      { host: '127.0.0.1', port, path: incoming.url, method: incoming.method, headers },
      (response) => {
        outgoing.writeHead(response.statusCode!, response.headers);
        let events = 0;
        response.on('data', (chunk: Buffer) => {
          outgoing.write(chunk);
          events += chunk.toString().split('\n\n').length - 1;
          if (cut !== undefined && events >= cut) {
            outgoing.destroy();
            response.destroy();
          }
        });
        response.on('end', () => outgoing.end());
      },
    );
    upstream.on('error', () => outgoing.destroy());
    incoming.pipe(upstream);
  });
  stops.push(() => proxy.close());
  const page = await (await browser.newContext()).newPage();
  return { url: proxy.url, seen, page };
}

/** The answers' keys in the test's redis-server: the Redis mode's answers are there, not in memory. */
async function answerKeys(): Promise<string[]> {
  const client = createClient({ url: redis!.url });
  await client.connect();
  const keys = await client.keys('sse:*:events');
  await client.close();
  return keys;
}

describe.each([
  ['in memory', () => ({}), undefined],
  ['in Redis (REDIS_URL)', () => ({ REDIS_URL: redis!.url }), redisMissing],
] as const)('the example app, answers %s', (mode, env, skip) => {
  const test = skipReason || skip ? baseTest.skip : baseTest;
  let url: string;
  let seen: Awaited<ReturnType<typeof startApp>>['seen'];
  let page: Page;
  beforeAll(async () => {
    if (skipReason || skip) return;
    ({ url, seen, page } = await startApp(env()));
  }, 60_000);

  const answers = () => page.getByTestId('message-assistant').allTextContents();
  const status = () => page.getByTestId('status').textContent();
  async function send(prompt: string) {
    await page.getByLabel('Prompt').fill(prompt);
    await page.getByRole('button', { name: 'Send' }).click();
  }

  test('a cut mid-answer is healed inside the stream: the whole answer, once, no error', async () => {
    await page.goto(url);
    await send('hello');
    await expect.poll(answers, { timeout: 20_000 }).toEqual([`Assistant: ${cannedAnswerText('hello')}`]);
    await expect.poll(status).toBe('ready');
    // (Next.js adds a role=alert route announcer of its own: the page's error has a test id.)
    expect(await page.getByTestId('error').count()).toBe(0);
    // One POST, cut; then the AI SDK's resume route with the id of the last event the page had.
    // On mount, `resume: true` asked for a running answer (none: 204). Then one POST, cut; then the AI
    // SDK's resume route with the id of the last event the page had.
    const chat = seen.filter((r) => r.path.startsWith('/api/chat'));
    expect(chat.map((r) => r.method)).toEqual(['GET', 'POST', 'GET']);
    expect(chat[0]!.lastEventId).toBeUndefined();
    expect(chat[2]!.path).toMatch(/^\/api\/chat\/[\w-]+\/stream$/);
    expect(chat[2]!.lastEventId).toMatch(/^[\w-]+\.[\w-]+:\d+$/);
    if (mode === 'in Redis (REDIS_URL)') expect(await answerKeys()).toHaveLength(1);
  });

  test('a reload mid-answer picks the answer up again: both answers whole, once', async () => {
    await send('again');
    await expect.poll(async () => (await answers())[1]?.length ?? 0, { timeout: 10_000 }).toBeGreaterThan(60);
    const before = seen.length;
    await page.reload();
    await expect
      .poll(answers, { timeout: 20_000 })
      .toEqual([`Assistant: ${cannedAnswerText('hello')}`, `Assistant: ${cannedAnswerText('again')}`]);
    await expect.poll(status).toBe('ready');
    expect(await page.getByTestId('message-user').allTextContents()).toEqual(['You: hello', 'You: again']);
    // The reloaded page asked the resume route for the running answer (no POST: the model ran once).
    const after = seen.slice(before).filter((r) => r.path.startsWith('/api/chat'));
    expect(after.map((r) => r.method)).toEqual(['GET']);
    expect(after[0]!.lastEventId).toBeUndefined();
  });
});
