// The demo in Debian's Chromium, the checks that need pages or servers of their own: the layout at three
// window sizes, /ai-sdk side by side, and a tab that leaves mid-answer. (The chat's own behaviour is in
// demo-chromium.test.ts; the two files run side by side.)
import { mkdir } from 'node:fs/promises';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, expect, test as baseTest } from 'vitest';
import { answerFor, tokenize } from '../../demo/answers.mjs';
import { startDemoServer, type DemoServer } from '../../demo/server.mjs';
import { launchChromium } from '../../scripts/chromium.mjs';

// The prompt the page starts with.
const PROMPT = 'How do Server-Sent Events survive a dropped connection? Show me the wire format.';
const firstTurn = [{ role: 'user' as const, content: PROMPT }];

// Where Debian's Chromium is missing (`npm test` says why), every test here reports as skipped.
const skipReason = process.env.SKIP_CHROMIUM;
const test = skipReason ? baseTest.skip : baseTest;

let demo: DemoServer;
let browser: Browser;

beforeAll(async () => {
  if (skipReason) return;
  demo = await startDemoServer({ port: 0, log: () => {}, pace: 8 });
  browser = await launchChromium();
});
afterAll(async () => {
  await browser?.close();
  await demo?.close();
});

/** A tab on `server` whose answer has shown its first five words. */
async function answering(server: DemoServer) {
  const tab = await browser.newPage();
  await tab.goto(server.url);
  await tab.getByRole('button', { name: 'Send' }).click();
  await tab.waitForFunction(
    () => (document.querySelector('[data-testid=answer]')?.getAttribute('data-text') ?? '').split(/\s+/).length >= 5,
  );
  return tab;
}

/** The server's log line for an answer it abandoned, if there is one yet. */
const abandonment = (server: DemoServer) =>
  server.requests.find((r) => /^answer [\w-]+ abandoned after \d+ tokens$/.test(r.note));

test('a tab closed mid-answer: the server stops generating within the grace period and keeps no socket', async () => {
  const short = await startDemoServer({ port: 0, log: () => {}, pace: 30, grace: 400 });
  try {
    const tab = await answering(short);
    await tab.close();
    const abandoned = () => abandonment(short);
    await expect.poll(abandoned, { timeout: 5000 }).toBeTruthy();
    // The tab's sockets are gone from the server: nothing kept for an answer nobody reads.
    expect(await short.connections()).toBe(0);
    // Well before the canned answer's end: 400 ms of grace at 30 ms a word.
    expect(Number(/after (\d+) tokens/.exec(abandoned()!.note)![1])).toBeLessThan(
      tokenize(answerFor(firstTurn)).length,
    );
  } finally {
    await short.close();
  }
});

test('a tab that left mid-answer and comes back after the grace period is told the answer was abandoned', async () => {
  const short = await startDemoServer({ port: 0, log: () => {}, pace: 30, grace: 400 });
  try {
    const tab = await answering(short);
    await tab.goto('about:blank');
    const abandoned = () => abandonment(short);
    await expect.poll(abandoned, { timeout: 5000 }).toBeTruthy();
    // Back in the same tab: the page resumes the answer it kept, gets what was stored, then the end.
    await tab.goto(short.url);
    await expect
      .poll(() => tab.getByTestId('badge').first().textContent(), { timeout: 10_000 })
      .toBe('failed: abandoned (nobody was reading it, so the server stopped generating it)');
    await tab.close();
  } finally {
    await short.close();
  }
});

test("/ai-sdk: the same drop mid-answer ends the AI SDK's own transport in error, cut, and ours whole", async () => {
  const paced = await startDemoServer({ port: 0, log: () => {}, pace: 40 });
  try {
    const tab = await browser.newPage();
    await tab.goto(new URL('/ai-sdk', paced.url).href);
    const prompt = 'How does a chat answer survive a dropped connection?';
    const whole = answerFor([{ role: 'user', content: prompt }]);
    const side = (name: string) => tab.getByTestId(`side-${name}`);
    const answer = (name: string) => side(name).getByTestId('message-assistant').first().textContent();
    await tab.getByRole('button', { name: 'Send to both' }).click();
    await expect.poll(async () => ((await answer('default')) ?? '').length, { timeout: 10_000 }).toBeGreaterThan(30);
    await expect.poll(async () => ((await answer('resumable')) ?? '').length).toBeGreaterThan(30);
    await tab.getByRole('button', { name: 'Drop the connections' }).click();
    await expect.poll(() => side('default').getByTestId('status').textContent(), { timeout: 10_000 }).toBe('error');
    await expect.poll(() => side('resumable').getByTestId('status').textContent(), { timeout: 20_000 }).toBe('ready');
    expect(await answer('resumable')).toBe(whole);
    const cut = (await answer('default')) ?? '';
    expect(cut.length).toBeLessThan(whole.length);
    expect(whole.startsWith(cut)).toBe(true);
    expect(await side('resumable').getByTestId('message-assistant').count()).toBe(1);
    await tab.close();
  } finally {
    await paced.close();
  }
});

test.each([
  [1280, 800],
  [1400, 900],
  [390, 844],
])(
  'at %i×%i every panel is whole and within the width, and reachable (screenshot in test-artifacts/)',
  async (width, height) => {
    const tab = await (await browser.newContext({ viewport: { width, height } })).newPage();
    await tab.goto(demo.url);
    await tab.getByRole('button', { name: 'Send' }).click();
    await tab.getByTestId('badge').first().filter({ hasText: 'done' }).waitFor({ timeout: 20_000 });
    const layout = await tab.evaluate(() => ({
      overflow: document.documentElement.scrollWidth - innerWidth,
      cards: [...document.querySelectorAll('.card')].map((card) => {
        const box = card.getBoundingClientRect();
        return { left: box.left, right: box.right, height: box.height };
      }),
    }));
    expect(layout.overflow).toBe(0);
    expect(layout.cards).toHaveLength(6);
    for (const card of layout.cards) {
      expect(card.left).toBeGreaterThanOrEqual(0);
      expect(card.right).toBeLessThanOrEqual(width);
      // Not squeezed into a strip: each panel has its own height (the smallest, the code panel's summary, ~80 px).
      expect(card.height).toBeGreaterThan(60);
    }
    // Each panel can be scrolled into view and is then on screen.
    for (const card of await tab.locator('.card').all()) {
      await card.scrollIntoViewIfNeeded();
      expect(await card.isVisible()).toBe(true);
    }
    await mkdir('test-artifacts', { recursive: true });
    await tab.screenshot({ path: `test-artifacts/demo-${width}x${height}.png`, fullPage: true });
    await tab.context().close();
  },
);
