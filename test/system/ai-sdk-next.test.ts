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
import { afterAll, beforeAll, expect, test as baseTest } from 'vitest';
import { cannedAnswerText } from '../../examples/ai-sdk-next/lib/model.js';
import { launchChromium } from '../../scripts/chromium.mjs';
import { listen } from '../helpers/http-server.js';
import { freePort } from '../helpers/redis-server.js';

const skipReason = process.env.SKIP_CHROMIUM;
const test = skipReason ? baseTest.skip : baseTest;

const root = process.cwd();
const app = join(root, 'examples/ai-sdk-next');
// The example imports `fetch-eventsource` by name, as an app that installed it does. Here the package
// is this repository (built by `npm test` before the system checks): a link to it in node_modules.
const link = join(root, 'node_modules/fetch-eventsource');
let linked = false;

let next: ChildProcess | undefined;
let proxy: Awaited<ReturnType<typeof listen>>;
let browser: Browser;
let page: Page;
const seen: Array<{ method: string; path: string; lastEventId: string | undefined }> = [];
// The first POST's response is cut after this many events; then no more cuts.
let cutNextPostAfter: number | undefined = 40;

function run(args: string[], ready?: RegExp): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [join(root, 'node_modules/next/dist/bin/next'), ...args], {
      cwd: app,
      env: { ...process.env, NEXT_TELEMETRY_DISABLED: '1', NODE_ENV: 'production' },
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

beforeAll(async () => {
  if (skipReason) return;
  if (!existsSync(link)) {
    await symlink('..', link);
    linked = true;
  }
  await run(['build']);
  const port = await freePort();
  next = await run(['start', '-p', String(port), '-H', '127.0.0.1'], /Ready in/);
  // What the network between the page and the app does: forwards everything, and cuts one answer.
  proxy = await listen((incoming, outgoing) => {
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
  browser = await launchChromium();
  page = await (await browser.newContext()).newPage();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  await proxy?.close();
  next?.kill();
  if (linked && (await lstat(link)).isSymbolicLink()) await unlink(link);
});

const answers = () => page.getByTestId('message-assistant').allTextContents();
const status = () => page.getByTestId('status').textContent();

async function send(prompt: string) {
  await page.getByLabel('Prompt').fill(prompt);
  await page.getByRole('button', { name: 'Send' }).click();
}

test('a cut mid-answer is healed inside the stream: the whole answer, once, no error', async () => {
  await page.goto(proxy.url);
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
