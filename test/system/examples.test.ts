import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { answerFor } from '../../demo/answers.mjs';
import { startDemoServer, type DemoServer } from '../../demo/server.mjs';

// The examples import the built package by its name, as a user would (`npm test` builds it first).
const run = promisify(execFile);
let demo: DemoServer;
beforeAll(async () => {
  demo = await startDemoServer({ port: 0, log: () => {} });
});
afterAll(() => demo.close());

test('examples/chat.mjs prints the whole answer with fetchEvents', async () => {
  const { stdout } = await run(process.execPath, ['examples/chat.mjs', 'hello'], {
    env: { ...process.env, DEMO_URL: demo.url },
  });
  expect(stdout).toBe(`${answerFor([{ role: 'user', content: 'hello' }])}\n`);
});

test('examples/feed.mjs prints ticks from the feed and stops when told', async () => {
  const { stdout } = await run(process.execPath, ['examples/feed.mjs', '2'], {
    env: { ...process.env, DEMO_URL: demo.url },
  });
  expect(stdout).toMatch(/^connected\ntick #\d+ at \S+\ntick #\d+ at \S+\n$/);
}, 10_000);
