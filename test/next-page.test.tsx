// @vitest-environment happy-dom
// The page of docs/server.md (examples/next-chat-page.tsx) against its route (examples/next-chat-route.ts):
// msw hands the page's requests to the route's handlers, as Next.js would, with the user id an auth
// middleware would have set; the model is an OpenAI-compatible server on loopback.
import { fireEvent, render, screen, waitFor } from '@testing-library/react';
import { http } from 'msw';
import { setupServer } from 'msw/node';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { Chat } from '../examples/next-chat-page.js';
import { DELETE, POST } from '../examples/next-chat-route.js';

const signedIn = (request: Request) => {
  const headers = new Headers(request.headers);
  headers.set('x-user-id', 'ann');
  return new Request(request, { headers });
};
const server = setupServer(
  http.post('http://localhost:3000/api/chat', ({ request }) => POST(signedIn(request))),
  http.delete('http://localhost:3000/api/chat', ({ request }) => DELETE(signedIn(request))),
);
let fail = false;
// The route runs inside the test's page here, whose fetch is happy-dom's and asks for CORS (on Next.js
// it runs on the server): the model allows any origin.
const cors = { 'access-control-allow-origin': '*', 'access-control-allow-headers': 'authorization, content-type' };
const model = createServer((request, response) => {
  if (request.method === 'OPTIONS') return void response.writeHead(204, cors).end();
  if (fail) return void response.writeHead(401, cors).end();
  response.writeHead(200, { ...cors, 'content-type': 'text/event-stream' });
  for (const word of ['Hello', ' there', '!']) {
    response.write(`data: ${JSON.stringify({ choices: [{ delta: { content: word } }] })}\n\n`);
  }
  response.end('data: [DONE]\n\n');
});

beforeAll(async () => {
  await new Promise<void>((resolve) => model.listen(0, '127.0.0.1', resolve));
  process.env.OPENAI_BASE_URL = `http://127.0.0.1:${(model.address() as AddressInfo).port}`;
  delete process.env.REDIS_URL;
  server.listen({ onUnhandledRequest: 'bypass' });
});
afterAll(async () => {
  server.close();
  await new Promise((resolve) => model.close(resolve));
});

test('the page asks, shows the whole answer, and shows a failed model as the failure', async () => {
  render(<Chat />);
  fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
  await waitFor(() => expect(screen.getByText('Hello there!')).toBeTruthy());
  fail = true;
  fireEvent.click(screen.getByRole('button', { name: 'Ask' }));
  await waitFor(() => expect(screen.getByRole('alert').textContent).toMatch(/401/));
});

test('docs/server.md shows the page as it is', async () => {
  const [readme, file] = await Promise.all([
    readFile(join(process.cwd(), 'docs/server.md'), 'utf8'),
    readFile(join(process.cwd(), 'examples/next-chat-page.tsx'), 'utf8'),
  ]);
  expect(readme).toContain(file.trim());
});
